"""优化任务 Tasks: the ranked list with filters in the URL, a detail view per task, status changes, exports.

Department scoping: see ``dashboards.queries.tasks`` (a task belongs to its ``dept_code``)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context
from dashboards.actions.exports import attachment
from dashboards.figures import style as figures
from dashboards.figures import tasks as figures_tasks
from dashboards.pages.common import filter_bar, named, page_number
from dashboards.queries.tasks import (
    TaskFilters,
    get_scoped_task,
    task_choices,
    task_detail,
    task_page,
    task_rows,
    type_counts,
)
from feedback.filters import FilterError, Filters
from feedback.tasks.config import task_settings
from feedback.tasks.export import FORMATS, export_bytes
from feedback.tasks.lifecycle import STATUSES, LifecycleError
from feedback.tasks.repository import change_task
from feedback.tasks.selection import TYPE_NAMES

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

EXPORT_TYPES = {  # format → (file suffix, MIME type)
    "csv": ("csv", "text/csv"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": ("json", "application/json"),
    "jira": ("csv", "text/csv"),
}
MAX_OWNER, MAX_NOTE = 64, 2000
PER_PAGE = 20  # tasks a page of the list shows (the list stays a few screens tall; the API keeps page_size)


def request_task_filters() -> tuple[TaskFilters, str | None]:
    """The URL's task filters scoped to the user's department, and an error message when they are unusable."""
    dept = auth.current_user().dept_code
    try:
        return TaskFilters.from_args(request.args, as_of=context.today()).scoped(dept), None
    except FilterError as exc:
        return TaskFilters(as_of=context.today()).scoped(dept), f"筛选条件无效：{exc}"


@bp.get("")
@auth.require("read")
def index():
    tf, error = request_task_filters()
    user = auth.current_user()
    with context.engine().connect() as conn:
        result = task_page(conn, tf, page_number(), PER_PAGE, context.taxonomy())
        choices = task_choices(conn, user.dept_code, context.taxonomy())
        counts = type_counts(conn, tf)
        late = None if tf.overdue else type_counts(conn, dataclasses.replace(tf, overdue=True))
        options, current = task_filter_bar(conn, tf, choices)
    return render_template("pages/tasks.html", result=result, tf=tf, choices=choices, options=options,
                           current=current, error=error, formats=FORMATS, types=TYPE_NAMES,
                           type_counts=counts, late=late,
                           late_args=dataclasses.replace(tf, overdue=True, task_type="all").to_args()
                           ), (400 if error else 200)


def task_filter_bar(conn, tf: TaskFilters, choices: dict) -> tuple[dict, str]:
    """The shared filter options (departments) and the 当前筛选 line of the task filters."""
    return filter_bar(conn, Filters(depts=tf.depts), extra=[
        ("任务类型", TYPE_NAMES.get(tf.task_type, "")),
        ("问题类别", named(tf.categories, choices["categories"])), ("状态", named(tf.statuses, choices["statuses"])),
        ("关键词", tf.q or ""),
        ("含未再出现的任务", "是" if tf.include_inactive else ""), ("只看逾期", "是" if tf.overdue else "")])


@bp.get("/<int:task_id>")
@auth.require("read")
def detail(task_id: int):
    with context.engine().connect() as conn:
        t = task_detail(conn, task_id, auth.current_user().dept_code, task_settings(context.settings()),
                        context.taxonomy(), as_of=context.today())
    if t is None:
        abort(404, description=f"任务 {task_id} 不存在，或不属于本部门")
    rows = pd.DataFrame(t["component_rows"])
    return render_template(
        "pages/task_detail.html", t=t, statuses=STATUSES, today=context.today().isoformat(),
        sparkline=figures.to_json(figures_tasks.task_sparkline(figures_tasks.series_frame(t["series"]),
                                                               t["shipped_at"])) if t["series"] else None,
        components_figure=figures.to_json(figures_tasks.component_bars(rows)),
        back=request.args.get("back", "")[:500],
    )


def _form_change(current: dict) -> dict:
    """The fields of the change form that differ from the task, validated (abort 400 on bad input)."""
    form = request.form
    status = form.get("status", "").strip() or None
    if status is not None and status not in STATUSES:
        abort(400, description=f"未知状态：{status}")
    owner = form.get("owner", "").strip()
    if len(owner) > MAX_OWNER:
        abort(400, description=f"负责人最长 {MAX_OWNER} 个字符")
    note = form.get("note", "").strip() or None
    if note and len(note) > MAX_NOTE:
        abort(400, description=f"备注最长 {MAX_NOTE} 个字符")
    due = None
    if form.get("due", "").strip():
        try:
            due = date.fromisoformat(form["due"].strip())
        except ValueError:
            abort(400, description="截止日期格式应为 YYYY-MM-DD")
    return {
        "status": status if status != current["status"] else None,
        "owner": owner if owner != (current["owner"] or "") else None,
        "due": due if due is not None and due.isoformat() != (current["due_date"] or "") else None,
        "note": note,
    }


@bp.post("/<int:task_id>")
@auth.require("manage")
def change(task_id: int):
    user = auth.current_user()
    with context.engine().connect() as conn:
        current = get_scoped_task(conn, task_id, user.dept_code)
    if current is None:
        abort(404, description=f"任务 {task_id} 不存在，或不属于本部门")
    wanted = _form_change(current)
    if not any(v is not None for v in wanted.values()):
        flash("没有需要保存的修改", "message")
        return redirect(url_for("tasks.detail", task_id=task_id))
    try:
        with context.engine().begin() as conn:
            changed = change_task(conn, task_id, by=user.username, **wanted)
    except LifecycleError as exc:
        flash(f"未保存：{_lifecycle_message(exc, current['status'], wanted['status'])}", "error")
        return redirect(url_for("tasks.detail", task_id=task_id))
    auth.audit_request("task_change", task_id=task_id, **{k: v for k, v in wanted.items() if v is not None})
    words = [f"状态 → {STATUSES[changed['status']]}" if "status" in changed else None,
             f"负责人 → {changed['owner'] or '（无）'}" if "owner" in changed else None,
             f"截止日期 → {changed['due_date']}" if "due_date" in changed else None,
             "已添加备注" if wanted["note"] and "status" not in changed else None]
    flash("已保存：" + "，".join(w for w in words if w), "ok")
    return redirect(url_for("tasks.detail", task_id=task_id))


def _lifecycle_message(exc: LifecycleError, current: str, target: str | None) -> str:
    if str(exc).startswith("截止日期"):  # a due date in the past (the domain's own Chinese message)
        return str(exc)
    if target == "dismissed" and "reason" in str(exc):
        return "设为“不予处理”需要在备注中写明理由"
    if target:
        return f"不能从“{STATUSES.get(current, current)}”直接变为“{STATUSES.get(target, target)}”"
    return str(exc)


@bp.get("/export/<fmt>")
@auth.require("read")
def export(fmt: str):
    if fmt not in EXPORT_TYPES:
        abort(404, description=f"不支持的导出格式：{fmt}")
    tf, error = request_task_filters()
    if error:
        abort(400, description=error)
    dept = auth.current_user().dept_code
    with context.engine().connect() as conn:
        rows = task_rows(conn, tf, dept)
        _, info = task_filter_bar(conn, tf, task_choices(conn, dept, context.taxonomy()))
    suffix, mimetype = EXPORT_TYPES[fmt]
    body = export_bytes(rows, fmt, info)
    auth.audit_request("export", what="tasks", format=fmt, rows=len(rows), filters=tf.to_args())
    name = f"优化任务{'_Jira' if fmt == 'jira' else ''}_{date.today():%Y%m%d}.{suffix}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": attachment(name)})
