"""``haocha kpi``: the month's bulletin KPIs with 环比 and 同比, as a table or JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from feedback.cli.context import AppContext, fail, pass_app
from feedback.filters import Filters
from feedback.stats import formats, kpi, periods, spec


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON contract: rounded values plus ``mom`` / ``yoy`` objects holding the same keys' changes."""
    return kpi.display(result)


def _table(result: dict[str, Any]) -> Table:
    basic = "含基本满意" if result["good_includes_basic"] else "不含基本满意"
    table = Table(title=f"{result['month']} 好差评主要指标（好评{basic}；截至 {result['as_of']}）")
    table.add_column("指标")
    table.add_column("本月", justify="right")
    table.add_column(f"环比（{result['mom_month']}）", justify="right")
    table.add_column(f"同比（{result['yoy_month']}）", justify="right")
    for key in spec.HEADLINE:
        table.add_row(spec.LABELS[key], formats.value(key, result[key], style=formats.FIXED),
                      formats.change(key, result["mom"].get(key), style=formats.FIXED),
                      formats.change(key, result["yoy"].get(key), style=formats.FIXED))
    return table


@click.command("kpi")
@click.option("--month", default=None, metavar="YYYY-MM", help="Month to report (default: the latest in the data).")
@click.option("--dept", "depts", multiple=True, help="Only this department code (repeatable).")
@click.option("--region", "regions", multiple=True, help="Only this region code, 12 digits (repeatable).")
@click.option("--as-of", "as_of", default=None, metavar="DATE|DATETIME",
              help="The ledger KPIs as the ledger stood then, frozen at the month's end when that is earlier, as "
                   "in the bulletin: YYYY-MM-DD (that day's end) or YYYY-MM-DD HH:MM[:SS], [display] timezone "
                   "(default: now).")
@click.option("--refresh", is_flag=True, help="Rebuild the daily rollups from the records first.")
@click.option("--json", "json_out", is_flag=True, help="Print one JSON object.")
@pass_app
def kpi_cmd(app: AppContext, month: str | None, depts: tuple[str, ...], regions: tuple[str, ...],
            as_of: str | None, refresh: bool, json_out: bool) -> None:
    """The bulletin KPIs of a month (评价数, 好评率, 差评率, 整体平均分 … 按时整改率) with 环比 and 同比.

    Rates are percentages; their 环比 / 同比 are percentage points. Counts change in percent, 平均分 in points.
    The ledger KPIs (差评工单数 … 超期工单数) are those of the ledger as it stood at the month's end, or at --as-of
    when earlier, as in that month's bulletin (总览 shows the live ledger)."""
    from feedback.clock import local_now, storage_time
    from feedback.stats.rollups import refresh_rollups

    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month '{month}' is not YYYY-MM")
    settings, engine = app.settings(), app.engine()
    zones = {"storage_tz": settings.ingest.timezone, "display_tz": settings.display.timezone}
    now = local_now(settings.ingest.timezone)
    try:
        moment = storage_time(as_of, **zones) if as_of is not None else now
    except ValueError:
        fail(f"--as-of '{as_of}' is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM[:SS])")
    try:
        if refresh:
            refresh_rollups(engine)
        with engine.connect() as conn:
            month = month or periods.latest_month(conn)
            if month is None:
                fail("no ratings in the rollups: load data, then run `haocha kpi --refresh`")
            at = periods.frozen_at(month, moment, **zones)
            # a moment in the past: the ledger replayed as it stood then; now (the current month): the live SQL
            result = periods.month_kpis(conn, month, Filters(depts=depts, regions=regions), as_of=at,
                                        frozen=at < now, good_includes_basic=settings.kpi.good_includes_basic)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database not ready ({type(exc.orig).__name__}): run `haocha init`")
    if json_out:
        click.echo(json.dumps(as_json(result), ensure_ascii=False))
    else:
        Console(width=max(Console().width, 100)).print(_table(result))


def print_rollup_stage(result, as_json: bool) -> None:
    """What the rollups stage of `haocha ingest` / `haocha demo` prints (nothing with --json)."""
    if not as_json:
        click.echo(f"rollups refreshed: {result}")
