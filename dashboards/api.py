"""JSON API under /api/v1: session or bearer-token auth, the same queries and scoping as the screens."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from dashboards import auth, context, openapi
from dashboards.config import API_MAX_PAGE_SIZE
from dashboards.exports import rejects_response
from dashboards.queries.alerts import AlertFilters, alert_page
from dashboards.queries.batches import batch_history
from dashboards.queries.records import search_records
from dashboards.queries.tasks import TaskFilters, task_detail, task_page
from feedback.filters import FilterError, Filters
from feedback.tasks.config import task_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    if auth.current_user() is None:
        return auth.api_unauthorized()
    return None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} 必须是整数")
    return max(low, min(value, high))


def _require(capability: str) -> None:
    if not auth.can(auth.current_user(), capability):
        abort(403, description="当前账号的角色无权调用此接口")


@bp.get("/me")
def me():
    user = auth.current_user()
    return jsonify(username=user.username, role=user.role, dept_code=user.dept_code)


@bp.get("/records")
def records():
    try:
        filters = auth.scope(Filters.from_query_args(request.args))
    except FilterError as exc:
        abort(400, description=f"筛选条件无效：{exc}")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE)
    with context.engine().connect() as conn:
        result = search_records(conn, filters, request.args.get("q", "").strip(), page, per_page)
    return jsonify(result.as_json())


@bp.get("/batches")
@auth.require_global
def batches():
    _require("import")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE)
    with context.engine().connect() as conn:
        items, has_next = batch_history(conn, page=page, per_page=per_page)
    return jsonify(page=page, per_page=per_page, has_next=has_next, items=items)


@bp.get("/batches/<int:batch_id>/rejects.csv")
@auth.require_global
def rejects(batch_id: int):
    _require("import")
    return rejects_response(batch_id)


@bp.get("/tasks")
def tasks():
    """The 优化任务 list of the page: same filters, same query, same department scoping."""
    try:
        tf = TaskFilters.from_args(request.args).scoped(auth.current_user().dept_code)
    except FilterError as exc:
        abort(400, description=f"筛选条件无效：{exc}")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE)
    with context.engine().connect() as conn:
        result = task_page(conn, tf, page, per_page)
    return jsonify(result.as_json())


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    """One task as its detail view shows it (404 for another department's task)."""
    with context.engine().connect() as conn:
        t = task_detail(conn, task_id, auth.current_user().dept_code, task_settings(context.settings()))
    if t is None:
        abort(404, description=f"任务 {task_id} 不存在，或不属于本部门")
    return jsonify(t)


@bp.get("/alerts")
def alerts():
    """The 预警 list of the page, newest week first, scoped to the user's department."""
    try:
        af = AlertFilters.from_args(request.args)
    except FilterError as exc:
        abort(400, description=f"筛选条件无效：{exc}")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE)
    with context.engine().connect() as conn:
        result = alert_page(conn, af, auth.current_user().dept_code, page, per_page)
    return jsonify(result.as_json())


@bp.get("/ledger")
def ledger_cases():
    """The 整改台账 list of the page: same filters, order, counts and department scoping."""
    from dashboards.queries.ledger import LedgerFilters, ledger_page
    from feedback.ledger import local_now

    try:
        lf = LedgerFilters.from_args(request.args).scoped(auth.current_user().dept_code)
    except FilterError as exc:
        abort(400, description=f"筛选条件无效：{exc}")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE)
    with context.engine().connect() as conn:
        result = ledger_page(conn, lf, page, per_page, local_now(context.settings().ingest.timezone))
    return jsonify(result.as_json())


@bp.get("/ledger/<int:case_id>")
def ledger_case(case_id: int):
    """One case with its record (masked), requests and history (404 for another department's case)."""
    from dashboards.queries.ledger import case_detail
    from feedback.ledger import local_now

    with context.engine().connect() as conn:
        c = case_detail(conn, case_id, auth.current_user().dept_code, local_now(context.settings().ingest.timezone))
    if c is None:
        abort(404, description=f"工单 {case_id} 不存在，或不属于本部门")
    return jsonify(c)


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi.document())
