"""``haocha ledger``: drive the 差评 rectification ledger (sync, list, set, request, decide, show, escalate)."""

from __future__ import annotations

import getpass
import json
from datetime import date
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.table import Table

from feedback import ledger
from feedback.cli.context import AppContext, fail, pass_app
from feedback.clock import local_now
from feedback.codes import LEVELS
from feedback.filters import Filters


def _rules(app: AppContext) -> dict[str, ledger.DeadlineRule]:
    """Deadline rules and their working-day calendar from the [ledger] settings."""
    try:
        return ledger.rules_from_settings(app.settings().ledger)
    except ledger.LedgerError as exc:
        fail(str(exc))


def _now(app: AppContext):
    return local_now(app.settings().ingest.timezone)


def _user(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _run(app: AppContext, fn, *args, **kwargs) -> Any:
    """One transaction; a ledger rule violation is one clear line and exit code 2."""
    try:
        with app.engine().begin() as conn:
            return fn(conn, *args, **kwargs)
    except ledger.LedgerError as exc:
        fail(str(exc))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.astype(object).to_dict("records"):
        out.append({k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else
                        v.isoformat() if isinstance(v, date) else v) for k, v in row.items()})
    return out


def _s(v: Any) -> str:
    """Display text of a cell: '' for None / NaN."""
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


@click.group("ledger")
def ledger_group() -> None:
    """差评整改台账: every 差评 becomes a case with working-day deadlines, 延期 / 无法整改 / 差评无效 approvals,
    回访 satisfaction and a full history."""


@ledger_group.command("sync")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only 差评 rated on or after.")
@click.option("--json", "json_out", is_flag=True)
@pass_app
def sync_cmd(app: AppContext, since, json_out: bool) -> None:
    """Open a case for every new 差评 (non-default rating at level 1-2)."""
    opened = _run(app, ledger.sync_cases, rules=_rules(app), now=_now(app), since=since.date() if since else None)
    click.echo(json.dumps({"opened": opened}) if json_out else f"opened {opened} case(s)")


@ledger_group.command("list")
@click.option("--overdue", is_flag=True, help="Only cases past a deadline.")
@click.option("--status", default=None, help="Only this status (code or Chinese name, e.g. 整改中).")
@click.option("--dept", "depts", multiple=True, help="Only this department code (repeatable).")
@click.option("--limit", default=200, show_default=True, help="At most this many rows in the table (not JSON).")
@click.option("--json", "json_out", is_flag=True, help="Print a JSON array of every matching case.")
@pass_app
def list_cmd(app: AppContext, overdue: bool, status: str | None, depts, limit: int, json_out: bool) -> None:
    """List cases with their deadlines, overdue flag, pending requests and rulings."""
    frame = _run(app, ledger.list_cases, Filters(depts=depts), overdue=overdue, status=status, now=_now(app))
    if json_out:
        click.echo(json.dumps(_records(frame), ensure_ascii=False, default=str))
        return
    table = Table(title=f"差评整改台账（{len(frame)} 件{'，仅超期' if overdue else ''}）")
    for col in ("工单", "状态", "部门", "事项", "评价", "评价时间", "核实期限", "整改期限", "超期", "待审批", "裁定"):
        table.add_column(col)
    for r in frame.head(limit).itertuples():
        table.add_row(str(r.case_id), r.status_name, _s(r.dept_name) or _s(r.dept_key), _s(r.service_name),
                      LEVELS.get(r.level, "") if pd.notna(r.level) else "", f"{r.rated_at:%Y-%m-%d %H:%M}",
                      str(r.verify_due), str(r.rectify_due), _s(r.overdue), _s(r.pending_requests),
                      _s(r.ruling)[:40])
    Console(width=max(Console().width, 140)).print(table)


@ledger_group.command("set")
@click.argument("case_id", type=int)
@click.option("--status", required=True, help="New status: code or Chinese name (整改中, 已整改, 已反馈, 已回访, 关闭).")
@click.option("--by", default=None, help="Who does it (default: the login name).")
@click.option("--note", default=None, help="What was done.")
@click.option("--satisfaction", type=click.IntRange(1, 5), default=None,
              help="With 已回访: the citizen's satisfaction with the fix, 1-5 (5 = 非常满意).")
@pass_app
def set_cmd(app: AppContext, case_id: int, status: str, by, note, satisfaction) -> None:
    """Move a case to its next state."""
    _run(app, ledger.set_status, case_id, status, by=_user(by), note=note, satisfaction=satisfaction, now=_now(app))
    click.echo(f"case {case_id}: {ledger.STATUSES[ledger.parse_status(status)]}")


@ledger_group.command("request")
@click.argument("case_id", type=int)
@click.option("--type", "kind", required=True, type=click.Choice(list(ledger.REQUEST_TYPES)),
              help="extend (延期), cannot_fix (无法整改) or void (差评无效, 申诉复核).")
@click.option("--reason", required=True, help="Why.")
@click.option("--days", type=click.IntRange(1, 60), default=None,
              help="With extend: working days asked for (default: the region rule's extension).")
@click.option("--by", default=None, help="Who asks (default: the login name).")
@pass_app
def request_cmd(app: AppContext, case_id: int, kind: str, reason: str, days, by) -> None:
    """File a request that needs approval; prints its id."""
    req = _run(app, ledger.request, case_id, kind, reason=reason, by=_user(by), extra_days=days, now=_now(app))
    click.echo(f"request {req}: {ledger.REQUEST_TYPES[kind]}申请 on case {case_id}, pending approval")


@ledger_group.command("decide")
@click.argument("request_id", type=int)
@click.option("--approve/--reject", default=None, help="通过 or 驳回.")
@click.option("--by", default=None, help="Who decides (default: the login name).")
@click.option("--note", default=None, help="The decision's reasoning (kept with the ruling).")
@pass_app
def decide_cmd(app: AppContext, request_id: int, approve: bool | None, by, note) -> None:
    """Approve or reject a pending request."""
    if approve is None:
        fail("say --approve or --reject")
    _run(app, ledger.decide, request_id, approve=approve, by=_user(by), note=note, rules=_rules(app), now=_now(app))
    click.echo(f"request {request_id}: {'通过' if approve else '驳回'}")


@ledger_group.command("show")
@click.argument("case_id", type=int)
@click.option("--json", "json_out", is_flag=True)
@pass_app
def show_cmd(app: AppContext, case_id: int, json_out: bool) -> None:
    """A case's full history: who did what, when, and why."""
    events = _run(app, ledger.history, case_id)
    if json_out:
        click.echo(json.dumps(_records(events), ensure_ascii=False, default=str))
        return
    table = Table(title=f"工单 {case_id} 处理记录")
    for col in ("时间", "操作人", "动作", "从", "到", "说明"):
        table.add_column(col)
    for e in events.itertuples():
        table.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.actor, e.action, ledger.STATUSES.get(e.from_status, ""),
                      ledger.STATUSES.get(e.to_status, ""), _s(e.note))
    Console(width=max(Console().width, 120)).print(table)


@ledger_group.command("escalate")
@click.argument("record_id", type=int)
@click.option("--by", default=None, help="Who escalates (default: the login name).")
@click.option("--note", default=None, help="Why this record needs a case.")
@pass_app
def escalate_cmd(app: AppContext, record_id: int, by, note) -> None:
    """Open a case for any record (a message, a hidden complaint …)."""
    case = _run(app, ledger.escalate, record_id, by=_user(by), note=note, rules=_rules(app), now=_now(app))
    click.echo(f"case {case} opened for record {record_id}")


def print_ledger_stage(result, as_json: bool) -> None:
    """What the ledger stage of `haocha ingest` / `haocha demo` prints (nothing with --json)."""
    if not as_json:
        click.echo(f"ledger: {result.opened} new 差评 cases opened")
