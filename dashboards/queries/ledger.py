"""整改台账 for the page, the nav badge and the API: one filtered case list with counts, one case with its record,
requests and history. Reads only; every change goes through ``feedback.ledger``.

A case belongs to the department of its record (``dept_code``, copied onto the case). A department-bound user sees
only their department's cases; another department's case is "not found" for them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select

from dashboards import display
from dashboards.queries.paging import Page
from feedback import ledger
from feedback.filters import FilterError, Filters, parse_date
from feedback.ledger.rules import overdue_label
from feedback.models import LedgerCase, LedgerRequest, Record

OPEN_EXCLUDED = ("closed", "voided")  # finished cases; everything else is still open
EXCERPT = 60
ACTION_NAMES = {"open": "立案", "transition": "状态变更", "request": "提出申请", "approve": "审批通过",
                "reject": "审批驳回"}
SATISFACTION = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


@dataclass(frozen=True)
class LedgerFilters:
    """The list's filters with their URL form: ``status`` (repeatable), ``overdue=1``, ``dept``, ``start``, ``end``
    (the 差评's rating date, inclusive)."""

    statuses: tuple[str, ...] = ()
    overdue: bool = False
    depts: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> LedgerFilters:
        def many(name: str) -> tuple[str, ...]:
            values = [p.strip() for v in args.getlist(name) for p in str(v).split(",")]
            return tuple(dict.fromkeys(v for v in values if v))

        try:
            statuses = tuple(dict.fromkeys(ledger.parse_status(s) for s in many("status")))
        except ledger.LedgerError as exc:
            raise FilterError(f"status: {exc}") from exc
        dates = {}
        for name in ("start", "end"):
            raw = (args.get(name) or "").strip()
            dates[name] = parse_date(name, raw) if raw else None  # 2000..2100, like every other filter
        if dates["start"] and dates["end"] and dates["start"] > dates["end"]:
            raise FilterError("start is after end")
        return cls(statuses, args.get("overdue") in ("1", "true", "on"), many("dept"), **dates)

    def to_args(self) -> list[tuple[str, str]]:
        out = [("status", s) for s in self.statuses] + ([("overdue", "1")] if self.overdue else [])
        out += [("dept", d) for d in self.depts]
        return out + [(k, v.isoformat()) for k, v in (("start", self.start), ("end", self.end)) if v]

    def scoped(self, dept: str | None) -> LedgerFilters:
        return self if dept is None else dataclasses.replace(self, depts=(dept,))

    def record_filters(self) -> Filters:
        return Filters(start=self.start, end=self.end, depts=self.depts)


@dataclass(frozen=True)
class LedgerPage(Page):
    counts: dict[str, int]  # open / overdue / closed this month / voided / all cases in scope and period


def _iso(v: Any) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat() if isinstance(v, date) else str(v)


def _clean(v: Any) -> Any:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def overdue_days(status: str, verify_due: date, rectify_due: date, today: date) -> int:
    """Calendar days past the deadline of the step the case is at (the one its overdue_label names; 0 when on
    time): 核实 while 待核实, 整改 while 整改中."""
    if status == "pending_verify" and verify_due < today:
        return (today - verify_due).days
    if status in ("pending_verify", "rectifying") and rectify_due < today:
        return (today - rectify_due).days
    return 0


def _texts(conn: Connection, record_ids: list[int]) -> dict[int, str | None]:
    if not record_ids:
        return {}
    rows = conn.execute(select(Record.id, Record.text).where(Record.id.in_(record_ids))).all()
    masked = display.mask_texts([r.text for r in rows])
    return {r.id: t for r, t in zip(rows, masked, strict=True)}


def _excerpt(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def _summary(r: dict[str, Any], text: str | None, today: date) -> dict[str, Any]:
    days = overdue_days(r["status"], r["verify_due"], r["rectify_due"], today)
    level = _clean(r["level"])
    return {
        "id": int(r["case_id"]), "record_id": int(r["record_id"]), "origin": r["origin"],
        "status": r["status"], "status_name": r["status_name"],
        "service_name": _clean(r["service_name"]), "dept_code": _clean(r["dept_code"]),
        "dept_name": _clean(r["dept_name"]), "region_code": _clean(r["region_code"]),
        "level": None if level is None else int(level),
        "level_name": None if level is None else display.level_name(int(level)),
        "rated_at": _iso(r["rated_at"]), "excerpt": _excerpt(text),
        "verify_due": _iso(r["verify_due"]), "rectify_due": _iso(r["rectify_due"]),
        "extended_days": int(r["extended_days"] or 0),
        "overdue": _clean(r["overdue"]), "overdue_days": days,
        "pending_requests": _clean(r["pending_requests"]), "ruling": _clean(r["ruling"]),
        "satisfaction": None if _clean(r["satisfaction"]) is None else int(r["satisfaction"]),
    }


def _counts(cases: pd.DataFrame, now: datetime) -> dict[str, int]:
    month_start = pd.Timestamp(now.year, now.month, 1)
    closed = cases["closed_at"].notna() & (cases["closed_at"] >= month_start)
    return {"open": int((~cases["status"].isin(OPEN_EXCLUDED)).sum()), "overdue": int(cases["overdue"].notna().sum()),
            "closed_this_month": int(closed.sum()), "voided": int((cases["status"] == "voided").sum()),
            "all": len(cases)}


def ledger_page(conn: Connection, lf: LedgerFilters, page: int, per_page: int, now: datetime) -> LedgerPage:
    """Cases in scope, overdue first (most days late first), then by rectification deadline; ``lf`` must already
    be scoped. The counts cover the scope and period, whatever the status / overdue selection."""
    page = max(1, page)
    cases = ledger.list_cases(conn, lf.record_filters(), now=now)
    counts = _counts(cases, now)
    if lf.statuses:
        cases = cases[cases["status"].isin(lf.statuses)]
    if lf.overdue:
        cases = cases[cases["overdue"].notna()]
    today = now.date()
    cases = cases.assign(_late=[overdue_days(s, v, d, today) for s, v, d in
                                zip(cases["status"], cases["verify_due"], cases["rectify_due"], strict=True)])
    cases = cases.sort_values(["_late", "rectify_due", "case_id"], ascending=[False, True, True])
    window = cases.iloc[(page - 1) * per_page: page * per_page + 1]
    rows = window.astype(object).to_dict("records")
    texts = _texts(conn, [int(r["record_id"]) for r in rows[:per_page]])
    items = [_summary(r, texts.get(int(r["record_id"])), today) for r in rows[:per_page]]
    return LedgerPage(items, page, per_page, len(rows) > per_page, len(cases), counts)


def overdue_count(conn: Connection, dept: str | None, today: date) -> int:
    """Cases past a deadline that still binds them (the rule of ``feedback.stats.kpi.overdue_mask``), for the nav badge."""
    c = LedgerCase
    late = or_(and_(c.status == "pending_verify", c.verify_due < today),
               and_(c.status.in_(("pending_verify", "rectifying")), c.rectify_due < today))
    stmt = select(func.count()).select_from(c).where(late)
    if dept:
        stmt = stmt.where(c.dept_code == dept)
    return int(conn.execute(stmt).scalar_one())


def scoped_case(conn: Connection, case_id: int, dept: str | None) -> dict[str, Any] | None:
    """The case row when it exists and the user's department may see it."""
    row = conn.execute(select(LedgerCase.__table__).where(LedgerCase.id == case_id)).first()
    if row is None or (dept is not None and row.dept_code != dept):
        return None
    return dict(row._mapping)


def _requests(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    t = LedgerRequest.__table__
    rows = conn.execute(select(t).where(t.c.case_id == case_id).order_by(t.c.id)).all()
    out = []
    for r in rows:
        d = {k: _iso(v) if isinstance(v, date) else v for k, v in r._mapping.items()}
        d["type_name"] = ledger.REQUEST_TYPES[r.type]
        d["status_name"] = ledger.REQUEST_STATUSES[r.status]
        out.append(d)
    return out


def _history(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    events = ledger.history(conn, case_id)
    out = []
    for e in events.astype(object).to_dict("records"):
        out.append({"at": _iso(e["at"]), "actor": e["actor"], "action": e["action"],
                    "action_name": ACTION_NAMES.get(e["action"], e["action"]),
                    "from_status": _clean(e["from_status"]), "to_status": _clean(e["to_status"]),
                    "from_name": ledger.STATUSES.get(_clean(e["from_status"]) or "", None),
                    "to_name": ledger.STATUSES.get(_clean(e["to_status"]) or "", None),
                    "note": _clean(e["note"]), "request_id": None if _clean(e["request_id"]) is None
                    else int(e["request_id"])})
    return out


def _record(conn: Connection, record_id: int) -> dict[str, Any]:
    r = conn.execute(select(Record.id, Record.kind, Record.rated_at, Record.level, Record.channel, Record.tags,
                            Record.title, Record.text, Record.project_no).where(Record.id == record_id)).one()
    title, text = display.mask_texts([r.title, r.text])
    return {"id": r.id, "kind": r.kind, "rated_at": _iso(r.rated_at),
            "channel_name": display.channel_name(r.channel) if r.channel else None,
            "tags": display.tag_texts(r.tags), "title": title, "text": text,
            "level_name": display.level_name(r.level) if r.level else None}


def case_detail(conn: Connection, case_id: int, dept: str | None, now: datetime) -> dict[str, Any] | None:
    """One case for its page and the API: the case, its record (text masked), requests, history and the moves the
    ledger allows from here. None when missing or outside the user's department."""
    c = scoped_case(conn, case_id, dept)
    if c is None:
        return None
    today = now.date()
    days = overdue_days(c["status"], c["verify_due"], c["rectify_due"], today)
    late = overdue_label(c["status"], c["verify_due"], c["rectify_due"], today)
    requests = _requests(conn, case_id)
    return {
        "id": c["id"], "record_id": c["record_id"], "origin": c["origin"], "status": c["status"],
        "status_name": ledger.STATUSES[c["status"]], "outcome": c["outcome"], "rule": c["rule"],
        "service_name": c["service_name"], "dept_code": c["dept_code"], "dept_name": c["dept_name"],
        "region_code": c["region_code"], "level": c["level"],
        "level_name": display.level_name(c["level"]) if c["level"] else None,
        **{k: _iso(c[k]) for k in ("rated_at", "opened_at", "verify_due", "rectify_due", "verified_at",
                                   "rectified_at", "replied_at", "revisited_at", "closed_at")},
        "extended_days": int(c["extended_days"] or 0), "satisfaction": c["satisfaction"],
        "satisfaction_name": SATISFACTION.get(c["satisfaction"]) if c["satisfaction"] else None,
        "ruling": c["ruling"], "overdue": late, "overdue_days": days,
        "next_statuses": [{"code": s, "name": ledger.STATUSES[s]} for s in ledger.TRANSITIONS[c["status"]]],
        "requestable": [{"code": t, "name": n} for t, n in ledger.REQUEST_TYPES.items()
                        if ledger.request_applies(t, c["status"])],
        "record": _record(conn, c["record_id"]),
        "requests": requests,
        "pending_requests": [r for r in requests if r["status"] == "pending"],
        "history": _history(conn, case_id),
    }
