"""Writes of the ledger: open cases (automatically and on escalation), move them, file and decide requests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, insert, update
from sqlalchemy.exc import IntegrityError

from feedback.clock import local_now
from feedback.ledger import queries
from feedback.ledger.rules import (
    REQUEST_STATUSES,
    REQUEST_TYPES,
    STATUSES,
    DeadlineRule,
    LedgerError,
    check_request_applies,
    check_request_form,
    deadlines,
    parse_status,
    request_applies,
    rule_for,
    transition,
)
from feedback.ledger.workdays import add_workdays
from feedback.models import LedgerCase, LedgerEvent, LedgerRequest
from feedback.stats.rollups import apply_void

_CHUNK = 5_000


def _event(conn: Connection, case_id: int, *, at: datetime, actor: str, action: str, rectify_due: date,
           from_status: str | None = None, to_status: str | None = None, note: str | None = None,
           request_id: int | None = None) -> None:
    """One history row; ``to_status`` and ``rectify_due`` are the case's state after it, so the ledger can be
    replayed as it stood at any moment (feedback.ledger.replay)."""
    conn.execute(insert(LedgerEvent).values(case_id=case_id, request_id=request_id, at=at, actor=actor,
                                            action=action, from_status=from_status, to_status=to_status, note=note,
                                            rectify_due=rectify_due))


def _open_rows(rows: list[Any], origin: str, opened: list[datetime], rules, now: datetime) -> list[dict]:
    out = []
    for row, at in zip(rows, opened, strict=True):
        name, rule = rule_for(row.region_code, rules)
        verify_due, rectify_due = deadlines(at.date(), rule)
        out.append(dict(record_id=row.id, origin=origin, status="pending_verify", rule=name, opened_at=at,
                        rated_at=pd.Timestamp(row.rated_at).to_pydatetime(),
                        **{k: getattr(row, k) for k in queries.COPIED if k != "rated_at"},
                        verify_due=verify_due, rectify_due=rectify_due, extended_days=0, created_at=now,
                        updated_at=now))
    return out


def _insert_cases(conn: Connection, rows: list[dict], *, actor: str, note: str | None, now: datetime) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i:i + _CHUNK]
        got = conn.execute(insert(LedgerCase).returning(LedgerCase.id, sort_by_parameter_order=True), chunk)
        new = [r.id for r in got]
        # the 立案 event is dated when the case opened (the rating time of an automatic case), so a case's
        # header and its history tell the same date
        conn.execute(insert(LedgerEvent), [dict(case_id=c, request_id=None, at=row["opened_at"], actor=actor,
                                                action="open", from_status=None, to_status="pending_verify",
                                                note=note, rectify_due=row["rectify_due"])
                                           for c, row in zip(new, chunk, strict=True)])
        ids.extend(new)
    return ids


def sync_cases(conn: Connection, *, rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None,
               since: date | None = None) -> int:
    """Open a case for every 差评 (non-default rating at level 1-2) that has none; the deadline clock starts at
    the rating time. Returns how many cases were opened."""
    now = now or local_now()
    rows = queries.uncased_bad_ratings(conn, since)
    cases = _open_rows(rows, "bad_rating", [pd.Timestamp(r.rated_at).to_pydatetime() for r in rows], rules, now)
    return len(_insert_cases(conn, cases, actor="system", note="差评自动立案", now=now))


def escalate(conn: Connection, record_id: int, *, by: str, note: str | None = None,
             rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None) -> int:
    """Open a case for any record a user escalates (a message, a hidden complaint …); the clock starts now."""
    now = now or local_now()
    row = queries.record_row(conn, record_id)
    if row is None:
        raise LedgerError(f"no record {record_id}")
    existing = queries.case_of_record(conn, record_id)
    if existing is not None:
        raise LedgerError(f"record {record_id} already has case {existing}")
    return _insert_cases(conn, _open_rows([row], "escalated", [now], rules, now), actor=by,
                         note=note or "人工转办", now=now)[0]


def set_status(conn: Connection, case_id: int, status: str, *, by: str, note: str | None = None,
               satisfaction: int | None = None, now: datetime | None = None) -> None:
    """Move a case along the main line; 已回访 needs the citizen's satisfaction with the fix (1..5, 5 best)."""
    now = now or local_now()
    target = parse_status(status)
    case = queries.case_row(conn, case_id, lock=True)
    values = transition(case_id, case.status, target, satisfaction, now)
    _update_case(conn, case, values)
    _event(conn, case_id, at=now, actor=by, action="transition", from_status=case.status, to_status=target,
           note=note, rectify_due=case.rectify_due)


def request(conn: Connection, case_id: int, type: str, *, reason: str, by: str, extra_days: int | None = None,
            now: datetime | None = None) -> int:
    """File a 延期 / 无法整改 / 差评无效 request; it changes nothing until approved. Returns the request id."""
    now = now or local_now()
    check_request_form(type, reason)
    case = queries.case_row(conn, case_id, lock=True)
    check_request_applies(case_id, case.status, type, extra_days)
    pending = queries.pending_request(conn, case_id, type)
    taken = f"case {case_id} already has a pending {REQUEST_TYPES[type]} request"
    if pending is not None:
        raise LedgerError(f"{taken} ({pending})")
    try:  # the unique index on pending requests decides a race the row lock did not (SQLite)
        req_id = conn.execute(insert(LedgerRequest).values(
            case_id=case_id, type=type, status="pending", reason=reason.strip(), extra_days=extra_days,
            requested_by=by, requested_at=now).returning(LedgerRequest.id)).scalar_one()
    except IntegrityError as exc:
        raise LedgerError(f"{taken}（同时提交的另一申请已保存，本申请未保存）") from exc
    _event(conn, case_id, at=now, actor=by, action="request", from_status=case.status, to_status=case.status,
           note=f"{REQUEST_TYPES[type]}申请：{reason.strip()}", request_id=req_id, rectify_due=case.rectify_due)
    return req_id


def decide(conn: Connection, request_id: int, *, approve: bool, by: str, note: str | None = None,
           rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None) -> None:
    """Approve (通过) or reject (驳回) a pending request. Approval applies it: 延期 moves the rectify deadline
    by working days; 无法整改 and 差评无效 set the case's state and keep the ruling on the case. A voided
    差评 is never deleted: it moves to the voided rows of the rollups (feedback.stats.rollups.apply_void; its day
    is rebuilt where the rollups disagree with the records) so the KPIs that exclude voided ratings drop it."""
    now = now or local_now()
    case = queries.case_row(conn, queries.request_row(conn, request_id).case_id, lock=True)  # the case first,
    req = queries.request_row(conn, request_id, lock=True)  # then its request: one lock order everywhere
    if req.status != "pending":
        raise LedgerError(f"request {request_id} was already decided: {REQUEST_STATUSES[req.status]}")
    word = REQUEST_TYPES[req.type]
    if approve and not request_applies(req.type, case.status):
        raise LedgerError(f"case {case.id} is now {STATUSES[case.status]}: the {word} request no longer "
                          "applies; reject it")
    decided = conn.execute(update(LedgerRequest).where(LedgerRequest.id == request_id,
                                                       LedgerRequest.status == "pending").values(
        status="approved" if approve else "rejected", decided_by=by, decided_at=now, decision_note=note)
        .returning(LedgerRequest.id)).first()
    if decided is None:  # decided in parallel since it was read
        status = queries.request_row(conn, request_id).status
        raise LedgerError(f"request {request_id} was already decided: {REQUEST_STATUSES.get(status, status)}"
                          "（已由他人同时审批）")
    verdict = "通过" if approve else "驳回"
    text = f"{word}{verdict}" + (f"：{note}" if note else "")
    if not approve:
        _event(conn, case.id, at=now, actor=by, action="reject", from_status=case.status, to_status=case.status,
               note=text, request_id=request_id, rectify_due=case.rectify_due)
        return
    values: dict[str, Any] = {"updated_at": now}
    target = case.status
    if req.type == "extend":
        rule = rule_for(case.region_code, rules)[1]
        days = req.extra_days or rule.extend_days
        values.update(rectify_due=add_workdays(case.rectify_due, days, rule.calendar),
                      extended_days=case.extended_days + days)
        text += f"（整改期限延长{days}个工作日）"
    else:
        target = "cannot_fix" if req.type == "cannot_fix" else "voided"
        ruling = f"{word}（{by}于{now:%Y-%m-%d}{verdict}）申请理由：{req.reason}" + (f"；审核意见：{note}" if note else "")
        values.update(status=target, outcome=target, ruling=ruling)
        if case.verified_at is None:
            values["verified_at"] = now
    _update_case(conn, case, values)
    _event(conn, case.id, at=now, actor=by, action="approve", from_status=case.status, to_status=target, note=text,
           request_id=request_id, rectify_due=values.get("rectify_due", case.rectify_due))
    if target == "voided":
        _close_pending(conn, case.id, by=by, now=now)
        apply_void(conn, case.record_id)  # after the case's update: the rollups read its status


def _update_case(conn: Connection, case: Any, values: dict[str, Any]) -> None:
    """Write ``values`` only if the case is still as read (status, deadline); LedgerError when a parallel change
    came first, so no change is applied twice."""
    done = conn.execute(update(LedgerCase).where(
        LedgerCase.id == case.id, LedgerCase.status == case.status, LedgerCase.rectify_due == case.rectify_due,
        LedgerCase.extended_days == case.extended_days).values(**values).returning(LedgerCase.id)).first()
    if done is None:
        raise LedgerError(f"工单 {case.id} 刚被他人修改（原为“{STATUSES.get(case.status, case.status)}”），"
                          "本次修改未保存，请刷新后重试")


def _close_pending(conn: Connection, case_id: int, *, by: str, now: datetime) -> None:
    conn.execute(update(LedgerRequest).where(and_(LedgerRequest.case_id == case_id, LedgerRequest.status == "pending"))
                 .values(status="rejected", decided_by=by, decided_at=now, decision_note="差评已认定无效，申请自动驳回"))
