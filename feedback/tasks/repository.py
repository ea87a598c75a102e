"""All writes of the task engine: builds, task rows, their evidence records, status changes and history."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from feedback.clock import local_now
from feedback.models import Task, TaskBuild, TaskEvent, TaskRecord
from feedback.tasks.lifecycle import LifecycleError, check_transition

SYSTEM = "system"


def _now() -> datetime:
    return local_now()  # the one storage clock (simulated in a replay)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def insert_build(conn: Connection, *, as_of: datetime | None, model_version: str | None, settings_hash: str,
                 settings: dict) -> int:
    values = dict(built_at=_now(), as_of=as_of, model_version=model_version, settings_hash=settings_hash,
                  settings=_json(settings), signals=0, tasks=0, seconds=0.0)
    return conn.execute(insert(TaskBuild).values(**values).returning(TaskBuild.id)).scalar_one()


def finish_build(conn: Connection, build_id: int, *, signals: int, tasks: int, seconds: float) -> None:
    conn.execute(update(TaskBuild).where(TaskBuild.id == build_id)
                 .values(signals=signals, tasks=tasks, seconds=round(seconds, 3)))


def add_event(conn: Connection, task_id: int, *, actor: str, action: str, from_status: str | None = None,
              to_status: str | None = None, note: str | None = None, data: dict | None = None,
              at: datetime | None = None) -> None:
    conn.execute(insert(TaskEvent).values(
        task_id=task_id, at=at or _now(), actor=actor, action=action, from_status=from_status,
        to_status=to_status, note=note, data=_json(data) if data is not None else None))


_ROW_COLUMNS = ("kind", "source", "title", "category", "subcategory", "service_code", "service_name", "dept_code",
                "dept_name", "region_code", "anchor", "rank", "score", "components", "metrics", "keywords",
                "evidence", "breakdown", "series", "signals", "first_seen", "last_seen")


def _clean(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):
        return v.item()
    return v


def save_tasks(conn: Connection, rows: list[dict], build_id: int) -> dict[str, int]:
    """Insert new tasks (status new, with a 'created' event) and refresh existing ones; tasks this build did not
    find become inactive but keep their state, notes and history. Returns task key → id."""
    now = _now()
    existing = {k: i for k, i in conn.execute(select(Task.task_key, Task.id))}
    new_rows, updates = [], []
    for r in rows:
        values = {c: _clean(r.get(c)) for c in _ROW_COLUMNS}
        for c in ("components", "metrics", "keywords", "evidence", "breakdown", "series"):
            values[c] = _json(r.get(c) if r.get(c) is not None else ([] if c in ("keywords", "evidence", "series")
                                                                         else {}))
        values.update(active=True, build_id=build_id, updated_at=now)
        if r["task_key"] in existing:
            updates.append({"_id": existing[r["task_key"]], **values})
        else:
            new_rows.append({"task_key": r["task_key"], "status": "new", "created_at": now, **values})
    conn.execute(update(Task).values(active=False, rank=None).where(Task.active.is_(True)))
    if updates:
        from sqlalchemy import bindparam

        stmt = update(Task).where(Task.id == bindparam("_id")).values({c: bindparam(c) for c in updates[0]
                                                                        if c != "_id"})
        conn.execute(stmt, updates)
    if new_rows:
        conn.execute(insert(Task), new_rows)
    ids = {k: i for k, i in conn.execute(select(Task.task_key, Task.id))}
    if new_rows:
        conn.execute(insert(TaskEvent), [
            {"task_id": ids[r["task_key"]], "at": now, "actor": SYSTEM, "action": "created", "from_status": None,
             "to_status": "new", "note": None, "data": _json({"build": build_id, "title": r["title"]})}
            for r in new_rows])
    return ids


def replace_members(conn: Connection, members: pd.DataFrame) -> None:
    """The records behind each task as of this build (``members``: task_id, record_id, weight)."""
    conn.execute(delete(TaskRecord))
    if members.empty:
        return
    rows = list(zip(members["task_id"].astype(int).tolist(), members["record_id"].astype(int).tolist(),
                    members["weight"].astype(float).tolist(), strict=True))
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.executemany(
            "INSERT INTO task_records (task_id, record_id, weight) VALUES (?, ?, ?)", rows)
    else:
        conn.execute(insert(TaskRecord), [{"task_id": a, "record_id": b, "weight": c} for a, b, c in rows])


def change_task(conn: Connection, task_id: int, *, by: str, status: str | None = None, owner: str | None = None,
                note: str | None = None, due: date | None = None) -> dict:
    """Apply a person's change (status, owner, due date, note), each with its own history entry. The task row is
    locked while it is read (PostgreSQL) and written only if it is still as read, so parallel changes apply once:
    a change that finds the task already changed is planned again from the new state."""
    for _ in range(_ATTEMPTS):
        row = conn.execute(select(Task.status, Task.owner, Task.due_date).where(Task.id == task_id)
                           .with_for_update()).first()
        if row is None:
            raise LifecycleError(f"no task {task_id}")
        current, old_owner, old_due = row
        values, events = _plan(current, old_owner, old_due, status=status, owner=owner, note=note, due=due)
        if values:
            done = conn.execute(update(Task).where(
                Task.id == task_id, Task.status == current, Task.owner.is_not_distinct_from(old_owner),
                Task.due_date.is_not_distinct_from(old_due)).values(**values).returning(Task.id)).first()
            if done is None:
                continue  # changed in parallel since it was read
        for event in events:
            add_event(conn, task_id, actor=by, at=values.get("updated_at"), **event)
        return values
    raise LifecycleError(f"任务 {task_id} 正被他人同时修改，本次修改未保存，请刷新后重试")


_ATTEMPTS = 3


def _plan(current: str, old_owner: str | None, old_due: date | None, *, status: str | None, owner: str | None,
          note: str | None, due: date | None) -> tuple[dict, list[dict]]:
    """The column values and history entries of a change to a task in state (current, old_owner, old_due)."""
    values: dict = {}
    events: list[dict] = []
    now = _now()
    if due is not None and due != old_due and due < now.date():
        raise LifecycleError(f"截止日期 {due.isoformat()} 早于今天（{now:%Y-%m-%d}），请填写今天或以后的日期")
    if status and status != current:
        check_transition(current, status, note=note)
        values["status"] = status
        if status == "shipped":
            values["shipped_at"] = now
        if status == "dismissed":
            values["dismissed_reason"] = note
        events.append(dict(action="status", from_status=current, to_status=status, note=note))
    if owner is not None and owner != old_owner:
        values["owner"] = owner or None
        events.append(dict(action="owner", note=owner or None, data={"from": old_owner, "to": owner or None}))
    if due is not None and due != old_due:
        values["due_date"] = due
        events.append(dict(action="due", data={"from": old_due, "to": due}))
    if note and not (status and status != current):
        events.append(dict(action="note", note=note))
    if values:
        values["updated_at"] = now
    return values, events


def record_impact(conn: Connection, task_id: int, impact: dict, *, new_status: str | None, current: str,
                  summary: str) -> None:
    """Store an impact check; a verdict that changes the state (verified / reopened) is logged as the system."""
    values: dict = {"impact": _json(impact), "updated_at": _now()}
    moves = bool(new_status and new_status != current)
    if moves:
        values["status"] = new_status
    # only from the state the check saw: a person's change in the meantime wins over the verdict
    done = conn.execute(update(Task).where(Task.id == task_id, Task.status == current).values(**values)
                        .returning(Task.id)).first()
    if done is not None and moves:
        add_event(conn, task_id, actor=SYSTEM, action="status", from_status=current, to_status=new_status,
                  note=summary, data=impact)
