"""整改台账 Rectification ledger: the case list with overdue flags, a case's page with its history, and the forms
that drive the ledger (next status, 回访 satisfaction, 延期 / 无法整改 / 差评无效 requests, approvals).

Rules live in ``feedback.ledger``; routes parse the form, make one call, audit it and show the ledger's verdict in
Chinese. Department scoping: see ``dashboards.queries.ledger``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context
from dashboards.pages.common import filter_bar, named, page_number
from dashboards.queries.ledger import LedgerFilters, case_detail, ledger_page, scoped_case
from feedback import ledger
from feedback.clock import local_now
from feedback.filters import FilterError, Filters

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
MAX_NOTE, MAX_DAYS = 2000, 60


def now():
    return local_now(context.settings().ingest.timezone)


def rules() -> dict[str, ledger.DeadlineRule]:
    return ledger.rules_from_settings(context.settings().ledger)


def request_ledger_filters() -> tuple[LedgerFilters, str | None]:
    dept = auth.current_user().dept_code
    try:
        return LedgerFilters.from_args(request.args).scoped(dept), None
    except FilterError as exc:
        return LedgerFilters().scoped(dept), f"筛选条件无效：{exc}"


@bp.get("")
@auth.require("read")
def index():
    lf, error = request_ledger_filters()
    with context.engine().connect() as conn:
        result = ledger_page(conn, lf, page_number(), context.options().page_size, now())
        statuses = list(ledger.STATUSES.items())
        options, current = filter_bar(conn, Filters(start=lf.start, end=lf.end, depts=lf.depts), extra=[
            ("状态", named(lf.statuses, statuses)), ("只看超期", "是" if lf.overdue else "")])
    return render_template("pages/ledger.html", result=result, lf=lf, error=error, options=options, current=current,
                           statuses=statuses), (400 if error else 200)


@bp.get("/<int:case_id>")
@auth.require("read")
def detail(case_id: int):
    with context.engine().connect() as conn:
        c = case_detail(conn, case_id, auth.current_user().dept_code, now())
    if c is None:
        abort(404, description=f"工单 {case_id} 不存在，或不属于本部门")
    return render_template("pages/ledger_case.html", c=c, back=request.args.get("back", "")[:500],
                           may_decide=may_decide(), max_days=MAX_DAYS,
                           extend_days=ledger.rule_for(c["region_code"], rules())[1].extend_days)


def may_decide() -> bool:
    """Approvals need the ``approve`` capability and no department binding: a department does not rule on its
    own requests (the supervising office does)."""
    user = auth.current_user()
    return auth.can(user, "approve") and not user.dept_code


def _case_or_404(case_id: int) -> dict:
    with context.engine().connect() as conn:
        c = scoped_case(conn, case_id, auth.current_user().dept_code)
    if c is None:
        abort(404, description=f"工单 {case_id} 不存在，或不属于本部门")
    return c


def _note(name: str = "note") -> str | None:
    note = request.form.get(name, "").strip() or None
    if note and len(note) > MAX_NOTE:
        abort(400, description=f"说明最长 {MAX_NOTE} 个字符")
    return note


def _int(name: str, low: int, high: int, what: str) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        abort(400, description=f"{what}应为 {low}–{high} 的整数")
    return value


def explain(exc: ledger.LedgerError, case: dict, target: str | None = None, kind: str | None = None) -> str:
    """The ledger's refusal in words the screen speaks."""
    text, here = str(exc), ledger.STATUSES.get(case["status"], case["status"])
    if "cannot go from" in text or "needs an approved request" in text:
        allowed = "、".join(ledger.STATUSES[s] for s in ledger.TRANSITIONS[case["status"]]) or "无（工单已办结）"
        return f"不能从“{here}”变为“{ledger.STATUSES.get(target or '', target)}”；当前可以变为：{allowed}"
    if "satisfaction" in text:
        return "记为“已回访”时必须填写群众对整改结果的满意度（1–5），其他状态不填"
    if "needs a reason" in text:
        return "提出申请必须写明理由"
    if "does not apply" in text:
        return f"工单当前为“{here}”，不能提出{ledger.REQUEST_TYPES.get(kind or '', '')}申请"
    if "already has a pending" in text:
        return f"该工单已有待审批的{ledger.REQUEST_TYPES.get(kind or '', '')}申请，请等待审批"
    if "extra working days" in text:
        return "延长的工作日数只用于延期申请，且至少 1 天"
    if "already decided" in text:
        return "该申请已经审批过了"
    if "no longer applies" in text:
        return f"工单已变为“{here}”，该申请不再适用，只能驳回"
    return f"台账规则不允许此操作（{text}）"


class _Refused(Exception):
    """The ledger refused a change; its reason has been flashed."""


def _commit(case: dict, change, refused: str, **why):
    """Run ``change(conn)`` in one transaction and return its result; a ledger refusal is flashed as
    ``refused：<reason in words>`` and raised as _Refused."""
    try:
        with context.engine().begin() as conn:
            return change(conn)
    except ledger.LedgerError as exc:
        flash(f"{refused}：{explain(exc, case, **why)}", "error")
        raise _Refused from exc


def _back(case_id: int):
    return redirect(url_for("ledger.detail", case_id=case_id))


@bp.post("/<int:case_id>/status")
@auth.require("manage")
def change_status(case_id: int):
    case = _case_or_404(case_id)
    target = request.form.get("status", "").strip()
    if target not in ledger.STATUSES:
        abort(400, description=f"未知状态：{target}")
    satisfaction = _int("satisfaction", 1, 5, "满意度")
    note = _note()
    user = auth.current_user()
    try:
        _commit(case, lambda conn: ledger.set_status(conn, case_id, target, by=user.username, note=note,
                                                     satisfaction=satisfaction, now=now()), "未保存", target=target)
    except _Refused:
        return _back(case_id)
    auth.audit_request("ledger_status", case_id=case_id, from_status=case["status"], to_status=target,
                       satisfaction=satisfaction, note=note)
    flash(f"已保存：状态 → {ledger.STATUSES[target]}", "ok")
    return _back(case_id)


@bp.post("/<int:case_id>/request")
@auth.require("manage")
def file_request(case_id: int):
    case = _case_or_404(case_id)
    kind = request.form.get("type", "").strip()
    if kind not in ledger.REQUEST_TYPES:
        abort(400, description=f"未知申请类型：{kind}")
    days = _int("extra_days", 1, MAX_DAYS, "延长的工作日数") if kind == "extend" else None
    reason = _note("reason") or ""
    user = auth.current_user()
    try:
        req_id = _commit(case, lambda conn: ledger.request(conn, case_id, kind, reason=reason, by=user.username,
                                                           extra_days=days, now=now()), "未提交", kind=kind)
    except _Refused:
        return _back(case_id)
    auth.audit_request("ledger_request", case_id=case_id, request_id=req_id, type=kind, extra_days=days,
                       reason=reason)
    flash(f"已提交{ledger.REQUEST_TYPES[kind]}申请（#{req_id}），等待审批", "ok")
    return _back(case_id)


@bp.post("/<int:case_id>/decide")
@auth.require("approve")
def decide(case_id: int):
    if not may_decide():
        abort(403, description="申请须由未绑定部门的管理员或运营人员审批")
    case = _case_or_404(case_id)
    request_id = _int("request_id", 1, 2**62, "申请编号")
    verdict = request.form.get("decision", "")
    if request_id is None or verdict not in ("approve", "reject"):
        abort(400, description="请选择要审批的申请，并选择通过或驳回")
    note = _note()
    user = auth.current_user()
    with context.engine().connect() as conn:
        pending = {r["id"]: r for r in case_detail(conn, case_id, None, now())["requests"]}
    if request_id not in pending:
        abort(404, description=f"工单 {case_id} 没有编号为 {request_id} 的申请")
    try:
        _commit(case, lambda conn: ledger.decide(conn, request_id, approve=verdict == "approve", by=user.username,
                                                 note=note, rules=rules(), now=now()), "未审批")
    except _Refused:
        return _back(case_id)
    auth.audit_request("ledger_decide", case_id=case_id, request_id=request_id, decision=verdict, note=note)
    word = pending[request_id]["type_name"]
    flash(f"已{'通过' if verdict == 'approve' else '驳回'}{word}申请（#{request_id}）", "ok")
    return _back(case_id)
