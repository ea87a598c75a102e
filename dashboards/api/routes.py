"""JSON API under /api/v1: session or bearer-token auth, the same queries and scoping as the screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from dashboards import auth, context
from dashboards.actions import corrections as labels
from dashboards.actions import jobs, push
from dashboards.actions.exports import rejects_response
from dashboards.api import openapi
from dashboards.pages.common import read_connection
from dashboards.queries.alerts import AlertFilters, alert_page
from dashboards.queries.batches import batch_history
from dashboards.queries.records import search_records
from dashboards.queries.tasks import TaskFilters, task_detail, task_page
from feedback.filters import FilterError, Filters
from feedback.tasks.config import task_settings

T = TypeVar("T")
API_MAX_PAGE_SIZE = 200  # per_page above this is capped ([dashboard] page_size is the default)

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
    if value < low:
        abort(400, description=f"{name} 不能小于 {low}")
    return min(value, high)  # above the cap: the cap (page numbers past the last page answer an empty page)


def _paging() -> tuple[int, int]:
    """``page`` and ``per_page`` of a list call (the page size capped at API_MAX_PAGE_SIZE)."""
    return (_int_arg("page", 1, 1, 1_000_000),
            _int_arg("per_page", context.options().page_size, 1, API_MAX_PAGE_SIZE))


def _parsed(parse: Callable[[], T]) -> T:
    """The request's filters, or 400 with what is wrong with them."""
    try:
        return parse()
    except FilterError as exc:
        abort(400, description=f"筛选条件无效：{exc}")


def _require(capability: str) -> None:
    if not auth.can(auth.current_user(), capability):
        abort(403, description="当前账号的角色无权调用此接口")


@bp.get("/me")
def me():
    user = auth.current_user()
    return jsonify(username=user.username, role=user.role, dept_code=user.dept_code)


@bp.get("/records")
def records():
    filters = _parsed(lambda: auth.scope(Filters.from_query_args(request.args)))
    page, per_page = _paging()
    with read_connection() as conn:
        result = search_records(conn, filters, request.args.get("q", "").strip(), page, per_page,
                                taxonomy=context.taxonomy())
    return jsonify(result.as_json())


@bp.get("/batches")
@auth.require_global
def batches():
    _require("import")
    page, per_page = _paging()
    with read_connection() as conn:
        items, has_next = batch_history(conn, page=page, per_page=per_page)
    return jsonify(page=page, per_page=per_page, has_next=has_next, items=jobs.runner().annotate(items))


@bp.get("/batches/<int:batch_id>/rejects.csv")
@auth.require_global
def rejects(batch_id: int):
    _require("import")
    return rejects_response(batch_id)


@bp.get("/tasks")
def tasks():
    """The 优化任务 list of the page: same filters, same query, same department scoping."""
    tf = _parsed(lambda: TaskFilters.from_args(request.args, as_of=context.today())
                 .scoped(auth.current_user().dept_code))
    page, per_page = _paging()
    with read_connection() as conn:
        result = task_page(conn, tf, page, per_page, context.taxonomy())
    return jsonify(result.as_json())


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    """One task as its detail view shows it (404 for another department's task)."""
    with read_connection() as conn:
        t = task_detail(conn, task_id, auth.current_user().dept_code, task_settings(context.settings()),
                        context.taxonomy(), as_of=context.today())
    if t is None:
        abort(404, description=f"任务 {task_id} 不存在，或不属于本部门")
    return jsonify(t)


@bp.get("/alerts")
def alerts():
    """The 预警 list of the page, newest week first, scoped to the user's department."""
    af = _parsed(lambda: AlertFilters.from_args(request.args))
    page, per_page = _paging()
    with read_connection() as conn:
        result = alert_page(conn, af, auth.current_user().dept_code, page, per_page)
    return jsonify(result.as_json())


@bp.get("/overview")
def overview():
    """Everything the 总览 page shows, from the same query function, with the same filters and scoping."""
    from dashboards.pages.overview import cached_overview_json, request_grain
    from dashboards.queries.overview import period_error

    filters = _parsed(lambda: auth.scope(Filters.from_query_args(request.args)))
    grain, error = request_grain()
    if error:
        abort(400, description=error)
    with read_connection() as conn:
        too_long = period_error(conn, filters, grain)
        if too_long:
            abort(400, description=f"筛选条件无效：{too_long}")
        body, updating = cached_overview_json(conn, filters, auth.current_user().dept_code, grain)
    response = jsonify(body)
    if updating:  # the last result, answered while newer data is summed ([dashboard] stale_seconds)
        response.headers["X-Haocha-Data-Updating"] = "1"
    return response


@bp.get("/ledger")
def ledger_cases():
    """The 整改台账 list of the page: same filters, order, counts and department scoping."""
    from dashboards.queries.ledger import LedgerFilters, ledger_page
    from feedback.clock import local_now

    lf = _parsed(lambda: LedgerFilters.from_args(request.args).scoped(auth.current_user().dept_code))
    page, per_page = _paging()
    with read_connection() as conn:
        result = ledger_page(conn, lf, page, per_page, local_now(context.settings().ingest.timezone))
    return jsonify(result.as_json())


@bp.get("/ledger/<int:case_id>")
def ledger_case(case_id: int):
    """One case with its record (masked), requests and history (404 for another department's case)."""
    from dashboards.queries.ledger import case_detail
    from feedback.clock import local_now

    with read_connection() as conn:
        c = case_detail(conn, case_id, auth.current_user().dept_code, local_now(context.settings().ingest.timezone))
    if c is None:
        abort(404, description=f"工单 {case_id} 不存在，或不属于本部门")
    return jsonify(c)


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi.document())


def _too_large(limit_kb: int):
    response = jsonify(error="请求过大", message=f"请求体超过 {limit_kb:,} KB 的上限（[dashboard] push_max_kb），"
                                              "请把记录拆成几个批次推送")
    response.status_code = 413
    return response


@bp.post("/push")
def push_batch():
    """A platform pushes a batch of ratings: the ETL's validation, rejects and de-duplication; idempotent per
    batch_id; the later stages run in the background when records were added."""
    _require("push")
    limit_kb = context.options().push_max_kb
    if request.content_length is not None and request.content_length > limit_kb * 1024:
        return _too_large(limit_kb)
    request.max_content_length = limit_kb * 1024  # also bounds bodies sent without a Content-Length
    try:
        body = push.parse_body(request.get_data(cache=False))
        answer, replayed = push.push_records(context.engine(), context.settings(), auth.current_user(), body)
    except RequestEntityTooLarge:
        return _too_large(limit_kb)
    except push.PushError as exc:
        abort(400, description=str(exc))
    except push.PushForbidden as exc:
        abort(403, description=str(exc))
    except (push.PushInProgress, push.PushConflict) as exc:
        abort(409, description=str(exc))
    runner = jobs.runner()
    if answer["loaded"] and not replayed:
        runner.submit(answer["batch_id"])
    answer["stages"] = runner.status(answer["batch_id"])
    auth.audit_request("push", batch_id=answer["batch_id"], client_batch_id=answer["client_batch_id"],
                       profile=answer["profile"], replayed=replayed, read=answer["read"], loaded=answer["loaded"],
                       duplicate=answer["duplicate"], rejected=answer["rejected"])
    return jsonify(answer), 200 if replayed else 201


@bp.post("/records/<int:record_id>/label")
def record_label(record_id: int):
    """Correct a record's complaint category (stored as a gold label); pm, ops and admin, own department only."""
    _require("label")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # deeply nested JSON: the parser's recursion limit
        body = None
    if not isinstance(body, dict):
        abort(400, description='请求体必须是 JSON 对象：{"category": "分类代码", "note": "说明（可选）"}')
    try:
        label = labels.correct_category(context.engine(), context.settings(), auth.current_user(), record_id,
                                        body.get("category"), body.get("note"), body.get("subcategory"))
    except labels.LabelError as exc:
        abort(400, description=str(exc))
    except LookupError:
        abort(404, description=f"记录 {record_id} 不存在，或不属于本部门")
    auth.audit_request("label", record_id=record_id, category=label["category"], via="api")
    return jsonify(label), 201
