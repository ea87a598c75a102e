"""Reads of the ledger: cases in a scope with their overdue state and pending requests, the cases as they stood at
a moment (replayed from their history), one case, its history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from feedback.clock import local_now
from feedback.filters import Filters
from feedback.ledger.replay import cases_at
from feedback.ledger.rules import REQUEST_TYPES, STATUSES, LedgerError, overdue_labels, parse_status
from feedback.models import LedgerCase, LedgerEvent, LedgerRequest, Record
from feedback.stats import queries as stats_queries

# Record fields copied onto the case (records are immutable): case queries never scan the records table.
COPIED = ("rated_at", "kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name",
          "level", "is_default")


def uncased_bad_ratings(conn: Connection, since: date | None = None) -> list[Any]:
    """Every 差评 (non-default rating at level 1-2) without a case (rated on or after ``since``), by id, with the
    fields a case copies."""
    has_case = select(LedgerCase.id).where(LedgerCase.record_id == Record.id).exists()
    stmt = (select(Record.id, *(getattr(Record, k) for k in COPIED))
            .where(Record.kind == "rating", Record.level <= 2, Record.is_default.is_(False), ~has_case)
            .order_by(Record.rated_at, Record.id))
    if since is not None:
        stmt = stmt.where(*stats_queries.filter_conditions(stats_queries.raw_source(conn), Filters(start=since)))
    return conn.execute(stmt).all()


def record_row(conn: Connection, record_id: int) -> Any:
    """A record with the fields a case copies (None when there is no such record)."""
    return conn.execute(select(Record.id, *(getattr(Record, k) for k in COPIED)).where(Record.id == record_id)).first()


def case_of_record(conn: Connection, record_id: int) -> int | None:
    return conn.execute(select(LedgerCase.id).where(LedgerCase.record_id == record_id)).scalar()


def case_row(conn: Connection, case_id: int, *, lock: bool = False) -> Any:
    """A case's row; LedgerError when there is none. ``lock``: hold the row (``SELECT … FOR UPDATE``) until the
    transaction ends, so parallel changes of one case run one after the other (PostgreSQL; SQLite has one
    writer at a time and the writes are conditional)."""
    stmt = select(LedgerCase.__table__).where(LedgerCase.id == case_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise LedgerError(f"no case {case_id}")
    return row


def request_row(conn: Connection, request_id: int, *, lock: bool = False) -> Any:
    """A request's row; LedgerError when there is none (``lock`` as for case_row)."""
    stmt = select(LedgerRequest.__table__).where(LedgerRequest.id == request_id)
    req = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if req is None:
        raise LedgerError(f"no request {request_id}")
    return req


def pending_request(conn: Connection, case_id: int, type: str) -> int | None:
    """The id of the case's pending request of ``type``, if any."""
    return conn.execute(select(LedgerRequest.id).where(
        LedgerRequest.case_id == case_id, LedgerRequest.type == type, LedgerRequest.status == "pending")).scalar()


def list_cases(conn: Connection, filters: Filters | None = None, *, overdue: bool = False,
               status: str | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Cases in the filters' scope (by their record) with Chinese status labels, the ruling of voided and
    无法整改 cases, pending requests, and ``overdue`` (核实超期 / 整改超期) as of ``now``."""
    now = now or local_now()
    cases = stats_queries.case_frame(conn, filters or Filters())
    cases["overdue"] = overdue_labels(cases, now.date())
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


def cases_as_of(conn: Connection, filters: Filters, at: datetime) -> pd.DataFrame:
    """Cases in the filters' scope (by their record) as they stood at ``at``, replayed from their history
    (feedback.ledger.replay: cases opened later left out; status, deadline and milestones as they were), with
    Chinese status labels and ``overdue`` (核实超期 / 整改超期) as of that day."""
    cases = cases_at(stats_queries.case_frame(conn, filters), stats_queries.case_events(conn, filters, until=at), at)
    cases["overdue"] = overdue_labels(cases, at.date())
    cases.insert(cases.columns.get_loc("status") + 1, "status_name", cases["status"].map(STATUSES))
    return cases


def history(conn: Connection, case_id: int) -> pd.DataFrame:
    """Every event of a case, oldest first."""
    case_row(conn, case_id)
    cols = ["id", "at", "actor", "action", "from_status", "to_status", "note", "request_id"]
    t = LedgerEvent.__table__
    rows = conn.execute(select(*(t.c[c] for c in cols)).where(t.c.case_id == case_id).order_by(t.c.id)).all()
    return pd.DataFrame(rows, columns=cols)
