"""Read-only queries of the task engine: complaint signals, denominators, tasks, history, impact counts."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, and_, case, false, func, literal, null, or_, select, true

from feedback.clock import local_now
from feedback.models import GoldLabel, ModelVersion, Record, Score, Task, TaskEvent, TaskRecord
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.tasks.lifecycle import PENDING, overdue_days
from feedback.tasks.selection import NO_CATEGORY, TASK_TYPES, TaskFilters, type_of


def active_model_version(conn: Connection) -> str | None:
    """The active scoring model version (the newest active one when several are)."""
    stmt = (select(ModelVersion.version).where(ModelVersion.active == true())
            .order_by(case((ModelVersion.kind == "scoring", 0), else_=1), ModelVersion.created_at.desc()).limit(1))
    return conn.execute(stmt).scalar_one_or_none()


def data_as_of(conn: Connection) -> datetime | None:
    """Time of the latest record: the 'now' of a rebuild, so rankings are reproducible."""
    return conn.execute(select(func.max(Record.rated_at))).scalar_one_or_none()


def _gold():
    """record id → its latest gold category; a 不是投诉 (no category) leaves the model's (which it cleared)."""
    latest = select(GoldLabel.record_id, func.max(GoldLabel.id).label("gid")).group_by(GoldLabel.record_id).subquery()
    return (select(GoldLabel.record_id, GoldLabel.category)
            .join(latest, GoldLabel.id == latest.c.gid).where(GoldLabel.category != NOT_COMPLAINT).subquery())


def load_signals(conn: Connection, model_version: str | None, since: datetime | None) -> pd.DataFrame:
    """Complaint signals: 差评 (active ratings of level 1–2), hidden complaints and messages, one row each.

    A person's gold label wins over the model's category."""
    gold = _gold()
    cols = [
        Record.id.label("record_id"), Record.kind, Record.level, Record.service_code, Record.service_name,
        Record.dept_code, Record.dept_name, Record.region_code, Record.channel, Record.tags, Record.title,
        Record.text, Record.votes_up, Record.votes_down, Record.rated_at, Record.project_no, Record.evaluator_hash,
    ]
    bad = and_(Record.kind == "rating", Record.level <= 2, Record.is_default == false())
    if model_version:
        stmt = (select(*cols, func.coalesce(Score.hidden_complaint, false()).label("hidden"), Score.hidden_clause,
                       func.coalesce(gold.c.category, Score.category).label("category"),
                       case((gold.c.category.is_(None), Score.subcategory), else_=None).label("subcategory"))
                .select_from(Record)
                .outerjoin(Score, and_(Score.record_id == Record.id, Score.model_version == model_version))
                .outerjoin(gold, gold.c.record_id == Record.id)
                .where(or_(Record.kind == "message", bad,
                           and_(Score.hidden_complaint == true(), Record.is_default == false()))))
    else:
        stmt = (select(*cols, literal(False).label("hidden"), null().label("hidden_clause"),
                       gold.c.category.label("category"))
                .select_from(Record).outerjoin(gold, gold.c.record_id == Record.id)
                .where(or_(Record.kind == "message", bad)))
    if since is not None:
        stmt = stmt.where(Record.rated_at >= since)
    frame = pd.read_sql(stmt, conn)
    frame["hidden"] = frame["hidden"].fillna(False).astype(bool)
    frame["rated_at"] = pd.to_datetime(frame["rated_at"])
    return frame


def load_denominators(conn: Connection, since: datetime | None) -> pd.DataFrame:
    """Active (non-default) ratings per service, department and region: the denominators of complaint rates."""
    service_key = func.coalesce(Record.service_code, Record.service_name).label("service_key")
    dept_key = func.coalesce(Record.dept_code, Record.dept_name).label("dept_key")
    region = func.coalesce(Record.region_code, "").label("region_code")
    stmt = (select(service_key, dept_key, region, func.count().label("n"))
            .where(Record.kind == "rating", Record.is_default == false())
            .group_by(service_key, dept_key, region))
    if since is not None:
        stmt = stmt.where(Record.rated_at >= since)
    return pd.read_sql(stmt, conn)


def existing_tasks(conn: Connection) -> pd.DataFrame:
    return pd.read_sql(select(Task.id, Task.task_key, Task.kind, Task.status, Task.active), conn)


def topic_members(conn: Connection) -> pd.DataFrame:
    """Record ids of every topic task as of the last rebuild (to keep a topic's identity when it changes)."""
    stmt = (select(Task.task_key, TaskRecord.record_id).join(TaskRecord, TaskRecord.task_id == Task.id)
            .where(Task.kind == "topic"))
    return pd.read_sql(stmt, conn)


_JSON = ("components", "metrics", "keywords", "evidence", "breakdown", "series", "impact")


def _row(r) -> dict:
    d = dict(r._mapping)
    for k in _JSON:
        if k in d:
            d[k] = json.loads(d[k]) if d[k] else None
    for k in ("due_date", "shipped_at", "first_seen", "last_seen", "created_at", "updated_at"):
        if d.get(k) is not None:
            d[k] = d[k].isoformat(sep=" ") if isinstance(d[k], datetime) else d[k].isoformat()
    return d


def list_tasks(conn: Connection, *, top: int | None = None, statuses: tuple[str, ...] = (),
               include_inactive: bool = False) -> list[dict]:
    """Tasks best first (active ones by rank; inactive ones after them by last score)."""
    stmt = select(Task.__table__).order_by(Task.active.desc(), func.coalesce(Task.rank, 10**9), Task.score.desc(),
                                           Task.task_key)
    if not include_inactive:
        stmt = stmt.where(Task.active == true())
    if statuses:
        stmt = stmt.where(Task.status.in_(statuses))
    if top:
        stmt = stmt.limit(top)
    return [_row(r) for r in conn.execute(stmt)]


def task_conditions(tf: TaskFilters) -> list:
    """The WHERE conditions of a task list's filters (``tf`` scoped to the user's department by the caller)."""
    conds = [] if tf.include_inactive else [Task.active == true()]
    kinds = tf.kinds()
    if kinds is not None:
        conds.append(Task.kind.in_(kinds))
    if tf.statuses:
        conds.append(Task.status.in_(tf.statuses))
    if tf.categories:
        named = [c for c in tf.categories if c != NO_CATEGORY]
        either = [Task.category.in_(named)] if named else []
        conds.append(or_(*either, *([Task.category.is_(None)] if NO_CATEGORY in tf.categories else [])))
    if tf.depts:
        conds.append(Task.dept_code.in_(tf.depts))
    if tf.q:
        conds.append(or_(*(col.contains(tf.q, autoescape=True)
                           for col in (Task.title, Task.service_name, Task.anchor, Task.dept_name, Task.keywords))))
    if tf.overdue:  # the SQL form of lifecycle.overdue_days
        conds += [Task.status.in_(sorted(PENDING)), Task.due_date.is_not(None), Task.due_date < judged_on(tf.as_of)]
    return conds


def judged_on(day: date | None) -> date:
    """The day due dates are judged on: ``day``, else today by the storage clock (the one that checks a new due
    date, ``feedback.tasks.repository``)."""
    return day or local_now().date()


TASK_ORDER = (Task.active.desc(), func.coalesce(Task.rank, 10**9), Task.score.desc(), Task.task_key)


def select_tasks(conn: Connection, tf: TaskFilters, *, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The tasks of the filters best first, each with its ``position`` in this list (1 = first): the rank within
    the chosen type and filters, which the page, the API and the exports show; and its ``overdue_days`` on the
    filters' day (None: not overdue)."""
    stmt = select(Task.__table__).where(*task_conditions(tf)).order_by(*TASK_ORDER).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    day, out = judged_on(tf.as_of), []
    for i, r in enumerate(conn.execute(stmt)):
        row = _row(r)
        out.append({**row, "position": offset + i + 1,
                    "overdue_days": overdue_days(row["status"], row["due_date"], day)})
    return out


def count_tasks(conn: Connection, tf: TaskFilters) -> int:
    return conn.execute(select(func.count()).select_from(Task).where(*task_conditions(tf))).scalar_one()


def type_position(conn: Connection, task: dict, dept: str | None) -> int | None:
    """An active task's place among the active tasks of its type (政务服务 or 话题), within ``dept`` when the user
    is bound to one (None for a task the latest rebuild did not rank)."""
    if not task.get("active") or task.get("rank") is None:
        return None
    conds = [Task.active == true(), Task.kind.in_(TASK_TYPES[type_of(task["kind"])]), Task.rank < task["rank"]]
    if dept:
        conds.append(Task.dept_code == dept)
    return int(conn.execute(select(func.count()).select_from(Task).where(*conds)).scalar_one()) + 1


def get_task(conn: Connection, ident: int | str) -> dict | None:
    """A task by id, or by (a unique prefix of at least 6 characters of) its key."""
    if isinstance(ident, int) or str(ident).isdigit():
        r = conn.execute(select(Task.__table__).where(Task.id == int(ident))).first()
        if r is not None:
            return _row(r)
    if len(str(ident)) >= 6:
        rows = conn.execute(select(Task.__table__).where(Task.task_key.startswith(str(ident), autoescape=True))
                            .limit(2)).all()
        if len(rows) == 1:
            return _row(rows[0])
    return None


def task_history(conn: Connection, task_id: int) -> list[dict]:
    stmt = (select(TaskEvent.at, TaskEvent.actor, TaskEvent.action, TaskEvent.from_status, TaskEvent.to_status,
                   TaskEvent.note, TaskEvent.data).where(TaskEvent.task_id == task_id)
            .order_by(TaskEvent.at, TaskEvent.id))
    out = []
    for r in conn.execute(stmt):
        d = dict(r._mapping)
        d["at"] = d["at"].isoformat(sep=" ")
        d["data"] = json.loads(d["data"]) if d["data"] else None
        out.append(d)
    return out


def segment_counts(conn: Connection, task: dict, start: datetime, end: datetime,
                   model_version: str | None) -> tuple[int, int | None]:
    """Complaints and (for services and halls) active ratings of a task's segment in ``[start, end)``."""
    window = and_(Record.rated_at >= start, Record.rated_at < end)
    seg = (task.get("metrics") or {}).get("segment")
    if task["kind"] == "topic" or not seg:
        k = conn.execute(select(func.count()).select_from(TaskRecord).join(Record, Record.id == TaskRecord.record_id)
                         .where(TaskRecord.task_id == task["id"], window)).scalar_one()
        return int(k), None
    if task["kind"] == "service":
        where = func.coalesce(Record.service_code, Record.service_name) == seg["service"]
    else:
        where = func.coalesce(Record.dept_code, Record.dept_name) == seg["dept"]
        if seg.get("region") is not None:  # tasks built before halls were grouped department-wide
            where = and_(where, func.coalesce(Record.region_code, "") == seg["region"])
    base = and_(Record.kind == "rating", Record.is_default == false(), window, where)
    n = conn.execute(select(func.count()).where(base)).scalar_one()
    complaint = Record.level <= 2
    stmt = select(func.count()).select_from(Record)
    if model_version:
        stmt = stmt.outerjoin(Score, and_(Score.record_id == Record.id, Score.model_version == model_version))
        complaint = or_(complaint, Score.hidden_complaint == true())
        if task.get("category"):
            stmt = stmt.where(Score.category == task["category"])
    k = conn.execute(stmt.where(base, complaint)).scalar_one()
    return int(k), int(n)
