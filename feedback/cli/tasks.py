"""``haocha tasks``: rebuild, list, show, set and export the ranked optimisation tasks."""

from __future__ import annotations

import json
from datetime import date

import click

from feedback.cli.context import AppContext, fail, pass_app


def _contract(t: dict) -> dict:
    """The JSON contract of one task in ``tasks list --json``."""
    return {
        "rank": t["rank"], "id": t["id"], "key": t["task_key"], "title": t["title"], "score": t["score"],
        "components": t["components"], "keywords": t["keywords"] or [],
        "evidence": [e["text"] for e in (t["evidence"] or [])], "status": t["status"], "owner": t["owner"],
        "due_date": t["due_date"], "kind": t["kind"], "source": t["source"], "category": t["category"],
        "service": t["service_name"], "department": t["dept_name"], "anchor": t["anchor"],
        "signals": t["signals"], "first_seen": t["first_seen"], "last_seen": t["last_seen"],
    }


def _summary_line(s) -> str:
    return (f"{s.tasks:,} tasks from {s.signals:,} complaint signals ({s.new_tasks:,} new) in {s.seconds:.1f} s; "
            f"data as of {s.as_of}, model {s.model_version or 'none'}")


def _print_table(tasks: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    from feedback.tasks.lifecycle import STATUSES

    table = Table(title="优化任务 optimisation tasks (best first)")
    for col, just in (("#", "right"), ("id", "right"), ("score", "right"), ("status", "left"), ("title", "left"),
                      ("signals", "right"), ("keywords", "left")):
        table.add_column(col, justify=just)
    for t in tasks:
        table.add_row(str(t["rank"] or "-"), str(t["id"]), f"{t['score']:.1f}", STATUSES.get(t["status"], t["status"]),
                      t["title"], f"{t['signals']:,}", "、".join((t["keywords"] or [])[:4]))
    Console().print(table)


@click.group("tasks")
def tasks_group() -> None:
    """Ranked optimisation tasks built from complaints: rebuild, list, show, set, export."""


@tasks_group.command("rebuild")
@click.option("--scheduler", metavar="ADDRESS",
              help="Group the topics on this Dask scheduler (tcp://HOST:PORT, or local:N for N local worker "
                   "processes); default [tasks].scheduler, else in this process. The tasks are the same.")
@click.option("--json", "as_json", is_flag=True, help="Print the build summary as JSON.")
@pass_app
def rebuild_cmd(app: AppContext, scheduler: str | None, as_json: bool) -> None:
    """Regroup every complaint signal into tasks and rank them (state, owners and notes are kept)."""
    from feedback.cluster import ClusterError
    from feedback.tasks.rebuild import rebuild_tasks

    try:
        s = rebuild_tasks(app.engine(), app.settings(), scheduler=scheduler)
    except ClusterError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"build": s.build_id, "tasks": s.tasks, "signals": s.signals, "new": s.new_tasks,
                               "seconds": round(s.seconds, 2), "as_of": str(s.as_of), "model": s.model_version,
                               "impact_changes": s.impact_changes}, ensure_ascii=False))
    else:
        click.echo(_summary_line(s))


@tasks_group.command("list")
@click.option("--top", default=20, show_default=True, help="How many tasks (0 = all).")
@click.option("--status", "statuses", multiple=True, help="Only these statuses (repeatable).")
@click.option("--all", "include_inactive", is_flag=True, help="Include tasks the latest rebuild did not find.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, best first.")
@pass_app
def list_cmd(app: AppContext, top: int, statuses: tuple[str, ...], include_inactive: bool, as_json: bool) -> None:
    """The tasks best first, with score, status and keywords."""
    from feedback.tasks.queries import list_tasks

    with app.engine().connect() as conn:
        tasks = list_tasks(conn, top=top or None, statuses=statuses, include_inactive=include_inactive)
    if as_json:
        click.echo(json.dumps([_contract(t) for t in tasks], ensure_ascii=False, default=str))
    else:
        _print_table(tasks)


@tasks_group.command("show")
@click.argument("ident")
@click.option("--json", "as_json", is_flag=True, help="Print the task and its history as JSON.")
@pass_app
def show_cmd(app: AppContext, ident: str, as_json: bool) -> None:
    """One task: components, evidence, breakdown, series, impact and full history."""
    from feedback.tasks.config import COMPONENT_LABELS, task_settings
    from feedback.tasks.priority import priority_formula
    from feedback.tasks.queries import get_task, task_history

    with app.engine().connect() as conn:
        t = get_task(conn, ident)
        if t is None:
            fail(f"no task '{ident}'")
        history = task_history(conn, t["id"])
    if as_json:
        click.echo(json.dumps({**t, "history": history}, ensure_ascii=False, default=str))
        return
    click.echo(f"#{t['rank'] or '-'} [{t['id']}] {t['title']}  (score {t['score']:.1f}, {t['status']})")
    click.echo(f"key {t['task_key']}  owner {t['owner'] or '-'}  due {t['due_date'] or '-'}")
    click.echo("components: " + ", ".join(f"{COMPONENT_LABELS[k]} {v:.2f}" for k, v in t["components"].items()
                                          if v is not None))
    click.echo("keywords: " + "、".join(t["keywords"] or []))
    for e in t["evidence"] or []:
        click.echo(f"  · [{e['rated_at']}] {e['text'][:120]}")
    if t["impact"]:
        click.echo(f"impact: {json.dumps(t['impact'], ensure_ascii=False)}")
    click.echo("history:")
    for h in history:
        change = f"{h['from_status'] or ''} → {h['to_status']}" if h["to_status"] else ""
        click.echo(f"  {h['at']} {h['actor']}: {h['action']} {change} {h['note'] or ''}".rstrip())
    click.echo("\n" + priority_formula(task_settings(app.settings())))


@tasks_group.command("set")
@click.argument("ident")
@click.option("--status", default=None, help="new, accepted, in_progress, shipped, verified, reopened, dismissed.")
@click.option("--owner", default=None, help="Who owns the task ('' to clear).")
@click.option("--note", default=None, help="A note (the reason, when dismissing).")
@click.option("--due", default=None, help="Due date, YYYY-MM-DD.")
@click.option("--by", "by", default=None, help="Who makes the change (default: $USER).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def set_cmd(app: AppContext, ident: str, status, owner, note, due, by, as_json: bool) -> None:
    """Change a task's status, owner, due date or add a note; every change goes to its history."""
    import os

    from feedback.tasks.lifecycle import LifecycleError
    from feedback.tasks.queries import get_task
    from feedback.tasks.repository import change_task

    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        fail(f"--due '{due}' is not a date (YYYY-MM-DD)")
    if not any(v is not None for v in (status, owner, note, due_date)):
        fail("nothing to change: give --status, --owner, --note or --due")
    actor = by or os.environ.get("USER") or "cli"
    with app.engine().begin() as conn:
        t = get_task(conn, ident)
        if t is None:
            fail(f"no task '{ident}'")
        try:
            change_task(conn, t["id"], by=actor, status=status, owner=owner, note=note, due=due_date)
        except LifecycleError as exc:
            fail(str(exc))
        t = get_task(conn, t["id"])
    if as_json:
        click.echo(json.dumps(_contract(t), ensure_ascii=False, default=str))
    else:
        click.echo(f"task {t['id']}: {t['status']}, owner {t['owner'] or '-'}, due {t['due_date'] or '-'}")


@tasks_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json", "jira"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output file.")
@click.option("--top", default=0, show_default=True, help="How many tasks (0 = all of the filters).")
@click.option("--type", "task_type", type=click.Choice(["gov", "topic", "all"]), default="gov", show_default=True,
              help="gov: service and hall tasks; topic: 12345 topics; all: both.")
@click.option("--status", "statuses", multiple=True, help="Only these statuses (repeatable).")
@click.option("--category", "categories", multiple=True, help="Only these categories (repeatable; none = topics).")
@click.option("--dept", "depts", multiple=True, help="Only these department codes (repeatable).")
@click.option("--q", "query", default="", help="Only tasks whose title, service, place, department or keywords "
              "contain this text.")
@click.option("--overdue", is_flag=True, help="Only tasks past their due date whose work is pending.")
@pass_app
def export_cmd(app: AppContext, fmt: str, out: str, top: int, task_type: str, statuses: tuple[str, ...],
               categories: tuple[str, ...], depts: tuple[str, ...], query: str, overdue: bool) -> None:
    """Export the tasks of the filters, the dashboard's exporter (jira: Summary, Description, Priority, Labels,
    Assignee, Due Date — imports into Jira, PingCode, Worktile)."""
    from feedback.filters import FilterError
    from feedback.tasks.export import export_tasks
    from feedback.tasks.queries import select_tasks
    from feedback.tasks.selection import TaskFilters

    args = [("type", task_type), *(("status", s) for s in statuses), *(("category", c) for c in categories),
            *(("dept", d) for d in depts), ("q", query), *([("overdue", "1")] if overdue else [])]
    try:
        tf = TaskFilters.from_args(_Args(args))
    except FilterError as exc:
        fail(str(exc))
    with app.engine().connect() as conn:
        tasks = select_tasks(conn, tf, limit=top or None)
    path = export_tasks(tasks, fmt, out)
    click.echo(f"{len(tasks)} tasks written to {path}")


class _Args:
    """Command-line options in the shape of URL arguments (``get``, ``getlist``) for TaskFilters.from_args."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def get(self, name: str, default=None):
        return next((v for k, v in self.pairs if k == name), default)

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def print_tasks_stage(result, as_json: bool) -> None:
    """What the tasks stage of `haocha ingest` / `haocha demo` prints: the rebuild and the top ten, briefly."""
    s, top = result.summary, result.top
    if as_json:
        click.echo(json.dumps({"stage": "tasks", "tasks": s.tasks, "seconds": round(s.seconds, 2),
                               "top": [_contract(t) for t in top]}, ensure_ascii=False, default=str))
        return
    click.echo(_summary_line(s))
    for t in top:
        click.echo(f"  {t['rank']:>2}. {t['score']:5.1f}  {t['title']}")
