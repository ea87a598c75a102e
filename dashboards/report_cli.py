"""``haocha report monthly``: build a month's bulletin (feedback.bulletin) and write it as HTML, XLSX and DOCX."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from feedback.cli.context import AppContext, fail, pass_app


@click.group("report")
def report_group() -> None:
    """Reports: the monthly bulletin (月度通报)."""


def read_region_names(path: str | None) -> dict[str, str]:
    """Region names from a CSV of code,name rows (a header row is allowed); empty without a path."""
    if not path:
        return {}
    names: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 2 and row[0].strip().isdigit():
                names[row[0].strip()] = row[1].strip()
    return names


@report_group.command("monthly")
@click.option("--month", default=None, metavar="YYYY-MM", help="Month to report (default: the latest in the data).")
@click.option("--format", "formats", default="html,xlsx,docx", show_default=True,
              help="Comma-separated formats: html, xlsx, docx.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to write the files into (created when missing).")
@click.option("--dept", "depts", multiple=True, help="Only this department code (repeatable): its own bulletin.")
@click.option("--region", "regions", multiple=True, help="Only this region code, 12 digits (repeatable).")
@click.option("--region-names", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of region code,name to print names instead of codes.")
@click.option("--issuer", default=None, help="Issuing office printed in the red header (default 政务服务管理办公室).")
@click.option("--issue-no", default=None, help="文号 line, e.g. 清政服办〔2026〕10号 (default 〔YYYY〕M号).")
@click.option("--json", "json_out", is_flag=True, help="Print one JSON object: files, headline KPIs, sentences.")
@pass_app
def monthly_cmd(app: AppContext, month: str | None, formats: str, out_dir: str, depts: tuple[str, ...],
                regions: tuple[str, ...], region_names: str | None, issuer: str | None, issue_no: str | None,
                json_out: bool) -> None:
    """Write the monthly bulletin: headline KPIs with 环比/同比 (the figures of `haocha kpi`), channels, levels,
    红榜/黑榜 of regions and departments with case-mix-adjusted 差评率, top services and tags, complaint
    categories, optimisation tasks, the rectification ledger, and 存在问题与下步工作."""
    from dashboards.reports import FORMATS, write
    from feedback import kpi
    from feedback.bulletin import build_bulletin
    from feedback.bulletin.assemble import DEFAULT_ISSUER
    from feedback.filters import Filters

    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month '{month}' is not YYYY-MM")
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        fail(f"--format: unknown {unknown or formats!r}; use {', '.join(FORMATS)}")
    settings, engine = app.settings(), app.engine()
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            month = month or kpi.latest_month(conn)
            if month is None:
                fail("no ratings in the rollups: load data, then run `haocha kpi --refresh`")
            bulletin = build_bulletin(conn, month, Filters(depts=depts, regions=regions), settings=settings,
                                      region_names=read_region_names(region_names),
                                      issuer=issuer or DEFAULT_ISSUER, issue_no=issue_no)
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database not ready ({type(exc.orig).__name__}): run `haocha init`")
    paths = write(bulletin, dict.fromkeys(wanted), out_dir)
    seconds = time.perf_counter() - started
    if json_out:
        click.echo(json.dumps({"month": bulletin.month, "scope": bulletin.scope, "seconds": round(seconds, 3),
                               "files": {f: str(p) for f, p in paths.items()}, "kpis": bulletin.kpis,
                               "problems": bulletin.problems, "actions": bulletin.actions}, ensure_ascii=False))
        return
    for path in paths.values():
        click.echo(str(Path(path)))
