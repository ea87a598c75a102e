"""The 差评 rectification ledger: cases, working-day deadlines, transitions, approvals and their history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, insert, select, update

from feedback.clock import local_now
from feedback.filters import Filters
from feedback.ledger.workdays import PACKAGE, Calendar, add_workdays
from feedback.models import LedgerCase, LedgerEvent, LedgerRequest, Record
from feedback.stats import queries as stats_queries
from feedback.stats.kpi import overdue_mask
from feedback.stats.rollups import refresh_days

STATUSES = {"pending_verify": "待核实", "rectifying": "整改中", "rectified": "已整改", "replied": "已反馈",
            "revisited": "已回访", "closed": "关闭", "cannot_fix": "无法整改", "voided": "差评无效"}
# The main line; 无法整改 and 差评无效 are reached only through an approved request.
TRANSITIONS = {"pending_verify": ("rectifying", "rectified"), "rectifying": ("rectified",),
               "rectified": ("replied",), "cannot_fix": ("replied",), "replied": ("revisited",),
               "revisited": ("closed",), "closed": (), "voided": ()}
REQUEST_TYPES = {"extend": "延期", "cannot_fix": "无法整改", "void": "差评无效"}
REQUEST_STATUSES = {"pending": "申请", "approved": "通过", "rejected": "驳回"}
_REQUESTABLE = {"extend": ("pending_verify", "rectifying"), "cannot_fix": ("pending_verify", "rectifying"),
                "void": tuple(s for s in STATUSES if s != "voided")}
_STAMP = {"rectified": "rectified_at", "replied": "replied_at", "revisited": "revisited_at", "closed": "closed_at"}
_CHUNK = 5_000
# Record fields copied onto the case (records are immutable): case queries never scan the records table.
_COPIED = ("rated_at", "kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name",
           "level", "is_default")


class LedgerError(ValueError):
    """An operation the ledger does not allow (unknown case, invalid transition, request already decided …)."""


@dataclass(frozen=True)
class DeadlineRule:
    """Working days, counted from the 差评, to verify (核实/联系) and to rectify; what an approved 延期 adds."""

    verify_days: int = 1
    rectify_days: int = 5
    extend_days: int = 10  # 5 + 10 = the "15" of Shanghai's 1-5-15 for complex cases
    calendar: Calendar = PACKAGE  # the working-day calendar the days are counted on (national, from config)


DEFAULT_RULE = DeadlineRule()


def rules_from_mapping(data: Mapping[str, Any], calendar: Calendar = PACKAGE) -> dict[str, DeadlineRule]:
    """Region rules from config: ``{"4403": {"verify_days": 1, "rectify_days": 15}, …}`` keyed by region-code
    prefix; a key "default" replaces the built-in default rule. Unknown keys and bad values are errors. Every rule
    counts on ``calendar``."""
    rules: dict[str, DeadlineRule] = {"default": DeadlineRule(calendar=calendar)}
    known = set(DeadlineRule.__dataclass_fields__) - {"calendar"}
    for prefix, raw in data.items():
        if not isinstance(raw, Mapping) or set(raw) - known:
            raise LedgerError(f"deadline rule {prefix!r}: expected a table of {sorted(known)}, got {raw!r}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in raw.values()):
            raise LedgerError(f"deadline rule {prefix!r}: working days must be whole numbers >= 0")
        rules[str(prefix)] = DeadlineRule(**raw, calendar=calendar)
    return rules


def rules_from_settings(section: Any) -> dict[str, DeadlineRule]:
    """Deadline rules from the ``[ledger]`` settings section (default rule plus per-region rules), counted on the
    package calendar plus the ``holidays`` / ``workdays`` entered there."""
    base = {k: getattr(section, k) for k in ("verify_days", "rectify_days", "extend_days")}
    try:
        calendar = Calendar.from_config(section.holidays, section.workdays)
    except ValueError as exc:
        raise LedgerError(str(exc)) from None
    return rules_from_mapping({"default": base, **dict(section.regions or {})}, calendar)


def request_applies(type: str, status: str) -> bool:
    """True when a request of this type may be filed on a case in this status."""
    return status in _REQUESTABLE.get(type, ())


def rule_for(region_code: str | None, rules: Mapping[str, DeadlineRule] | None) -> tuple[str, DeadlineRule]:
    """The rule of the longest region-code prefix that matches, else "default"."""
    rules = rules or {}
    best = max((p for p in rules if p != "default" and region_code and region_code.startswith(p)),
               key=len, default=None)
    if best is not None:
        return best, rules[best]
    return "default", rules.get("default", DEFAULT_RULE)


@lru_cache(maxsize=4096)
def deadlines(start: date, rule: DeadlineRule) -> tuple[date, date]:
    """(verify_due, rectify_due): the last working day allowed for each step, counted after ``start``."""
    return add_workdays(start, rule.verify_days, rule.calendar), add_workdays(start, rule.rectify_days, rule.calendar)


def parse_status(value: str) -> str:
    """A status code from its code or its Chinese name."""
    by_name = {v: k for k, v in STATUSES.items()}
    if value in STATUSES:
        return value
    if value in by_name:
        return by_name[value]
    raise LedgerError(f"unknown status {value!r}; use one of " + ", ".join(f"{k} ({v})" for k, v in STATUSES.items()))


def _event(conn: Connection, case_id: int, *, at: datetime, actor: str, action: str, from_status: str | None = None,
           to_status: str | None = None, note: str | None = None, request_id: int | None = None) -> None:
    conn.execute(insert(LedgerEvent).values(case_id=case_id, request_id=request_id, at=at, actor=actor,
                                            action=action, from_status=from_status, to_status=to_status, note=note))


def _open_rows(rows: list[Any], origin: str, opened: list[datetime], rules, now: datetime) -> list[dict]:
    out = []
    for row, at in zip(rows, opened, strict=True):
        name, rule = rule_for(row.region_code, rules)
        verify_due, rectify_due = deadlines(at.date(), rule)
        out.append(dict(record_id=row.id, origin=origin, status="pending_verify", rule=name, opened_at=at,
                        rated_at=pd.Timestamp(row.rated_at).to_pydatetime(),
                        **{k: getattr(row, k) for k in _COPIED if k != "rated_at"},
                        verify_due=verify_due, rectify_due=rectify_due, extended_days=0, created_at=now,
                        updated_at=now))
    return out


def _insert_cases(conn: Connection, rows: list[dict], *, actor: str, note: str | None, now: datetime) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i:i + _CHUNK]
        got = conn.execute(insert(LedgerCase).returning(LedgerCase.id, sort_by_parameter_order=True), chunk)
        new = [r.id for r in got]
        conn.execute(insert(LedgerEvent), [dict(case_id=c, request_id=None, at=now, actor=actor, action="open",
                                                from_status=None, to_status="pending_verify", note=note)
                                           for c in new])
        ids.extend(new)
    return ids


def sync_cases(conn: Connection, *, rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None,
               since: date | None = None) -> int:
    """Open a case for every 差评 (non-default rating at level 1-2) that has none; the deadline clock starts at
    the rating time. Returns how many cases were opened."""
    now = now or local_now()
    has_case = select(LedgerCase.id).where(LedgerCase.record_id == Record.id).exists()
    stmt = (select(Record.id, *(getattr(Record, k) for k in _COPIED))
            .where(Record.kind == "rating", Record.level <= 2, Record.is_default.is_(False), ~has_case)
            .order_by(Record.id))
    if since is not None:
        stmt = stmt.where(*stats_queries.filter_conditions(stats_queries.raw_source(conn), Filters(start=since)))
    rows = conn.execute(stmt).all()
    cases = _open_rows(rows, "bad_rating", [pd.Timestamp(r.rated_at).to_pydatetime() for r in rows], rules, now)
    return len(_insert_cases(conn, cases, actor="system", note="差评自动立案", now=now))


def escalate(conn: Connection, record_id: int, *, by: str, note: str | None = None,
             rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None) -> int:
    """Open a case for any record a user escalates (a message, a hidden complaint …); the clock starts now."""
    now = now or local_now()
    row = conn.execute(select(Record.id, *(getattr(Record, k) for k in _COPIED)).where(Record.id == record_id)).first()
    if row is None:
        raise LedgerError(f"no record {record_id}")
    existing = conn.execute(select(LedgerCase.id).where(LedgerCase.record_id == record_id)).scalar()
    if existing is not None:
        raise LedgerError(f"record {record_id} already has case {existing}")
    return _insert_cases(conn, _open_rows([row], "escalated", [now], rules, now), actor=by,
                         note=note or "人工转办", now=now)[0]


def _case(conn: Connection, case_id: int) -> Any:
    row = conn.execute(select(LedgerCase.__table__).where(LedgerCase.id == case_id)).first()
    if row is None:
        raise LedgerError(f"no case {case_id}")
    return row


def set_status(conn: Connection, case_id: int, status: str, *, by: str, note: str | None = None,
               satisfaction: int | None = None, now: datetime | None = None) -> None:
    """Move a case along the main line; 已回访 needs the citizen's satisfaction with the fix (1..5, 5 best)."""
    now = now or local_now()
    target = parse_status(status)
    case = _case(conn, case_id)
    label = STATUSES
    if target in ("cannot_fix", "voided"):
        kind = "cannot_fix" if target == "cannot_fix" else "void"
        raise LedgerError(f"case {case_id}: {label[target]} needs an approved request "
                          f"(haocha ledger request {case_id} --type {kind} --reason …)")
    allowed = TRANSITIONS[case.status]
    if target not in allowed:
        options = ", ".join(f"{label[s]} ({s})" for s in allowed) or "none: the case is finished"
        raise LedgerError(f"case {case_id}: cannot go from {label[case.status]} to {label[target]}; allowed: {options}")
    if (target == "revisited") != (satisfaction is not None):
        raise LedgerError(f"case {case_id}: satisfaction (1-5) is given with 已回访 and only then")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise LedgerError(f"case {case_id}: satisfaction must be 1..5 (5 = 非常满意), got {satisfaction}")
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if case.status == "pending_verify":
        values["verified_at"] = now
    if target in _STAMP:
        values[_STAMP[target]] = now
    if target == "rectified":
        values["outcome"] = "rectified"
    if satisfaction is not None:
        values["satisfaction"] = satisfaction
    conn.execute(update(LedgerCase).where(LedgerCase.id == case_id).values(**values))
    _event(conn, case_id, at=now, actor=by, action="transition", from_status=case.status, to_status=target,
           note=note)


def request(conn: Connection, case_id: int, type: str, *, reason: str, by: str, extra_days: int | None = None,
            now: datetime | None = None) -> int:
    """File a 延期 / 无法整改 / 差评无效 request; it changes nothing until approved. Returns the request id."""
    now = now or local_now()
    if type not in REQUEST_TYPES:
        raise LedgerError(f"unknown request type {type!r}; use one of {', '.join(REQUEST_TYPES)}")
    if not reason or not reason.strip():
        raise LedgerError("a request needs a reason")
    case = _case(conn, case_id)
    if case.status not in _REQUESTABLE[type]:
        raise LedgerError(f"case {case_id} is {STATUSES[case.status]}: a {REQUEST_TYPES[type]} request "
                          "does not apply")
    if extra_days is not None and (type != "extend" or extra_days < 1):
        raise LedgerError("extra working days are given only with an extend request, and are >= 1")
    pending = conn.execute(select(LedgerRequest.id).where(
        LedgerRequest.case_id == case_id, LedgerRequest.type == type, LedgerRequest.status == "pending")).scalar()
    if pending is not None:
        raise LedgerError(f"case {case_id} already has a pending {REQUEST_TYPES[type]} request ({pending})")
    req_id = conn.execute(insert(LedgerRequest).values(
        case_id=case_id, type=type, status="pending", reason=reason.strip(), extra_days=extra_days,
        requested_by=by, requested_at=now).returning(LedgerRequest.id)).scalar_one()
    _event(conn, case_id, at=now, actor=by, action="request", from_status=case.status, to_status=case.status,
           note=f"{REQUEST_TYPES[type]}申请：{reason.strip()}", request_id=req_id)
    return req_id


def decide(conn: Connection, request_id: int, *, approve: bool, by: str, note: str | None = None,
           rules: Mapping[str, DeadlineRule] | None = None, now: datetime | None = None) -> None:
    """Approve (通过) or reject (驳回) a pending request. Approval applies it: 延期 moves the rectify deadline
    by working days; 无法整改 and 差评无效 set the case's state and keep the ruling on the case. A voided
    差评 is never deleted: its day's rollups are rebuilt so the KPIs that exclude voided ratings drop it."""
    now = now or local_now()
    req = conn.execute(select(LedgerRequest.__table__).where(LedgerRequest.id == request_id)).first()
    if req is None:
        raise LedgerError(f"no request {request_id}")
    if req.status != "pending":
        raise LedgerError(f"request {request_id} was already decided: {REQUEST_STATUSES[req.status]}")
    case = _case(conn, req.case_id)
    word = REQUEST_TYPES[req.type]
    if approve and case.status not in _REQUESTABLE[req.type]:
        raise LedgerError(f"case {case.id} is now {STATUSES[case.status]}: the {word} request no longer "
                          "applies; reject it")
    conn.execute(update(LedgerRequest).where(LedgerRequest.id == request_id).values(
        status="approved" if approve else "rejected", decided_by=by, decided_at=now, decision_note=note))
    verdict = "通过" if approve else "驳回"
    text = f"{word}{verdict}" + (f"：{note}" if note else "")
    if not approve:
        _event(conn, case.id, at=now, actor=by, action="reject", from_status=case.status, to_status=case.status,
               note=text, request_id=request_id)
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
    conn.execute(update(LedgerCase).where(LedgerCase.id == case.id).values(**values))
    _event(conn, case.id, at=now, actor=by, action="approve", from_status=case.status, to_status=target, note=text,
           request_id=request_id)
    if target == "voided":
        _close_pending(conn, case.id, by=by, now=now)
        day = pd.Timestamp(case.rated_at)
        refresh_days(conn, day.date(), day.date())


def _close_pending(conn: Connection, case_id: int, *, by: str, now: datetime) -> None:
    conn.execute(update(LedgerRequest).where(and_(LedgerRequest.case_id == case_id, LedgerRequest.status == "pending"))
                 .values(status="rejected", decided_by=by, decided_at=now, decision_note="差评已认定无效，申请自动驳回"))


def list_cases(conn: Connection, filters: Filters | None = None, *, overdue: bool = False,
               status: str | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Cases in the filters' scope (by their record) with Chinese status labels, the ruling of voided and
    无法整改 cases, pending requests, and ``overdue`` (核实超期 / 整改超期) as of ``now``."""
    now = now or local_now()
    cases = stats_queries.case_frame(conn, filters or Filters())
    today = now.date()
    late_verify = (cases["status"] == "pending_verify") & (cases["verify_due"] < today)
    cases["overdue"] = None
    cases.loc[overdue_mask(cases, today), "overdue"] = "整改超期"
    cases.loc[late_verify & ~(cases["rectify_due"] < today), "overdue"] = "核实超期"
    cases.insert(cases.columns.get_loc("status") + 1, "status_name", cases["status"].map(STATUSES))
    if status is not None:
        cases = cases[cases["status"] == parse_status(status)]
    if overdue:
        cases = cases[cases["overdue"].notna()]
    pending = pd.DataFrame(conn.execute(select(LedgerRequest.case_id, LedgerRequest.id, LedgerRequest.type)
                                        .where(LedgerRequest.status == "pending")).all(),
                           columns=["case_id", "id", "type"])
    label = pending.assign(text=pending["type"].map(REQUEST_TYPES) + "申请#" + pending["id"].astype(str))
    cases["pending_requests"] = cases["case_id"].map(label.groupby("case_id")["text"].agg("、".join))
    return cases.reset_index(drop=True)


def history(conn: Connection, case_id: int) -> pd.DataFrame:
    """Every event of a case, oldest first."""
    _case(conn, case_id)
    cols = ["id", "at", "actor", "action", "from_status", "to_status", "note", "request_id"]
    t = LedgerEvent.__table__
    rows = conn.execute(select(*(t.c[c] for c in cols)).where(t.c.case_id == case_id).order_by(t.c.id)).all()
    return pd.DataFrame(rows, columns=cols)
