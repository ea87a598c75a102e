"""Read-only SQL of the bulletin that the shared statistics queries do not cover: the month's complaints with
their categories under the active scoring version (for the category table and its quotes)."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select

from feedback.filters import Filters
from feedback.models import LedgerCase, Record, Score, Task, TaskEvent
from feedback.stats import queries as stats_queries

COMPLAINT_COLUMNS = ("record_id", "kind", "level", "is_default", "hidden", "rated_at", "service_name", "dept_name",
                     "channel", "title", "text", "category", "subcategory", "confidence")


def complaint_rows(conn: Connection, filters: Filters, version: str) -> pd.DataFrame:
    """Complaints in the filters' period and scope, with their score under ``version``: 差评 (non-default
    ratings at levels 1-2), hidden complaints and messages; ratings voided on appeal are left out.

    Small by nature (the bad tail of one month); records without a score under the version come back with
    category None."""
    src = stats_queries.raw_source(conn, version=version)
    r, s, lc = Record.__table__, Score.__table__, LedgerCase.__table__
    bad = and_(r.c.kind == "rating", r.c.level <= 2, r.c.is_default.is_(False))
    hidden = and_(r.c.kind == "rating", s.c.hidden_complaint.is_(True))
    stmt = (
        select(r.c.id, r.c.kind, r.c.level, r.c.is_default,
               s.c.hidden_complaint.is_(True).label("hidden"), r.c.rated_at, r.c.service_name,
               r.c.dept_name, r.c.channel, r.c.title, r.c.text, s.c.category, s.c.subcategory, s.c.category_conf)
        .select_from(src.from_)
        .where(*stats_queries.filter_conditions(src, filters), lc.c.id.is_(None),
               or_(bad, hidden, r.c.kind == "message"))
        .order_by(r.c.id)
    )
    rows = conn.execute(stmt).all()
    frame = pd.DataFrame.from_records([tuple(x) for x in rows], columns=list(COMPLAINT_COLUMNS))
    frame["hidden"] = frame["hidden"].fillna(False).astype(bool) & (frame["kind"] == "rating")
    frame["is_default"] = frame["is_default"].fillna(False).astype(bool)
    frame["level"] = pd.to_numeric(frame["level"], errors="coerce")
    frame["bad"] = (frame["kind"] == "rating") & (frame["level"] <= 2) & ~frame["is_default"]
    frame["rated_at"] = pd.to_datetime(frame["rated_at"])
    return frame



TASK_COLUMNS = ("rank", "title", "category", "service_name", "dept_name", "signals", "score", "status", "owner",
                "due_date", "last_seen")


def scoped_tasks(conn: Connection, filters: Filters, limit: int,
                 at: datetime | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``limit`` best active tasks of the scope (the order of feedback.tasks.queries.list_tasks: rank, then
    score) and the number of active tasks per status. Department and region filters apply to the task's own
    department and region; tasks without one (e.g. 12345 topics) belong to no department. With ``at`` the
    tasks are as they were then (a bulletin frozen at its month's end): tasks created later are left out, and
    state, owner and due date come from the task history (the last change on or before ``at``)."""
    if at is not None:
        return _tasks_at(conn, filters, limit, at)
    t = Task.__table__
    conds = [t.c.active.is_(True)]
    if filters.depts:
        conds.append(t.c.dept_code.in_(list(filters.depts)))
    if filters.regions:
        conds.append(t.c.region_code.in_(list(filters.regions)))
    stmt = (select(*(t.c[c] for c in TASK_COLUMNS)).where(*conds)
            .order_by(func.coalesce(t.c.rank, 10**9), t.c.score.desc(), t.c.task_key).limit(limit))
    top = pd.DataFrame.from_records([tuple(r) for r in conn.execute(stmt).all()], columns=list(TASK_COLUMNS))
    states = conn.execute(select(t.c.status, func.count()).where(*conds).group_by(t.c.status)).all()
    return top, pd.DataFrame.from_records([tuple(r) for r in states], columns=["status", "n"])


def _tasks_at(conn: Connection, filters: Filters, limit: int, at: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    t, e = Task.__table__, TaskEvent.__table__
    conds = [t.c.active.is_(True), or_(t.c.first_seen.is_(None), t.c.first_seen <= at)]  # shown up by then
    if filters.depts:
        conds.append(t.c.dept_code.in_(list(filters.depts)))
    if filters.regions:
        conds.append(t.c.region_code.in_(list(filters.regions)))
    cols = list(TASK_COLUMNS)
    stmt = (select(t.c.id, *(t.c[c] for c in cols)).where(*conds)
            .order_by(func.coalesce(t.c.rank, 10**9), t.c.score.desc(), t.c.task_key))
    tasks = pd.DataFrame.from_records([tuple(r) for r in conn.execute(stmt).all()], columns=["id", *cols])
    tasks = tasks.assign(status="new", owner=None, due_date=None).astype({"owner": object, "due_date": object})
    if not tasks.empty:
        events = conn.execute(select(e.c.task_id, e.c.action, e.c.to_status, e.c.note, e.c.data)
                              .where(e.c.task_id.in_(tasks["id"].tolist()), e.c.at <= at,
                                     e.c.action.in_(("status", "owner", "due")))
                              .order_by(e.c.at, e.c.id)).all()
        pos = {tid: i for i, tid in enumerate(tasks["id"])}
        for ev in events:  # replayed in order: the last change on or before ``at`` wins
            i = pos[ev.task_id]
            if ev.action == "status" and ev.to_status:
                tasks.at[i, "status"] = ev.to_status
            elif ev.action == "owner":
                tasks.at[i, "owner"] = ev.note
            elif ev.action == "due":
                tasks.at[i, "due_date"] = (json.loads(ev.data) or {}).get("to") if ev.data else None
    states = tasks.groupby("status").size().rename("n").reset_index() if not tasks.empty else \
        pd.DataFrame(columns=["status", "n"])
    return tasks.drop(columns="id").head(limit).reset_index(drop=True), states
