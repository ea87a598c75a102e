"""``haocha alerts``: evaluate the [alerts] rules, store new alerts, post them to the webhook, print them."""

from __future__ import annotations

import json

import click

from feedback.cli.context import AppContext, fail, pass_app


def _print(result, open_alerts: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    from feedback.alerts.rules import RULES

    click.echo(f"alerts: {len(result.new)} new, {result.refreshed} refreshed, {result.open} open "
               f"(weeks up to {result.as_of or '-'}; {result.posted} webhook message(s) sent)")
    for e in result.errors:
        click.echo(f"  webhook error: {e}", err=True)
    if not open_alerts:
        return
    table = Table(title="预警 open alerts (newest week first)")
    for col in ("id", "week", "rule", "subject", "message"):
        table.add_column(col, justify="right" if col == "id" else "left")
    for a in open_alerts:
        table.add_row(str(a["id"]), a["period"], RULES.get(a["rule"], a["rule"]), a["subject_name"] or a["subject"],
                      a["message"])
    Console(width=max(Console().width, 120)).print(table)


@click.command("alerts")
@click.option("--weeks", type=click.IntRange(1, 260), default=None,
              help="Check this many weeks back from the latest record (default: [alerts] lookback_weeks).")
@click.option("--no-post", is_flag=True, help="Store new alerts without posting them to the webhook.")
@click.option("--top", default=20, show_default=True, help="Open alerts to print (0 = none).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the run and the open alerts.")
@pass_app
def alerts_cmd(app: AppContext, weeks: int | None, no_post: bool, top: int, as_json: bool) -> None:
    """Evaluate the 预警 rules now (部门差评率, 问题类别激增, 隐性投诉翻倍); each alert is stored once per rule,
    subject and week, and new ones are posted to [alerts] webhook_url when it is set."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from feedback.alerts.check import check_alerts
    from feedback.alerts.queries import list_alerts

    try:
        result = check_alerts(app.engine(), app.settings(), lookback_weeks=weeks, post=not no_post)
        with app.engine().connect() as conn:
            open_alerts = list_alerts(conn, statuses=("open",), limit=top) if top > 0 else []
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database not ready ({type(exc.orig).__name__}): run `haocha init`")
    if as_json:
        click.echo(json.dumps({**result.as_json(), "open_alerts": open_alerts}, ensure_ascii=False, default=str))
    else:
        _print(result, open_alerts)


def print_alerts_stage(result, as_json: bool) -> None:
    """What the alerts stage of `haocha ingest` / `haocha demo` prints (nothing when [alerts] enabled is false:
    the stage then has no result)."""
    if result is None:
        return
    if as_json:
        click.echo(json.dumps({"stage": "alerts", "new": len(result.new), "open": result.open,
                               "posted": result.posted, "errors": result.errors}, ensure_ascii=False))
    else:
        click.echo(f"alerts: {len(result.new)} new, {result.open} open"
                   + (f", {result.posted} posted" if result.posted else "")
                   + (f" (webhook errors: {len(result.errors)})" if result.errors else ""))
