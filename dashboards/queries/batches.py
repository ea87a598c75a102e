"""Batch history with counts, one batch, its rejects, and the data-freshness line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, func, select

from feedback.models import Batch, Record, Reject

_COLUMNS = (Batch.id, Batch.source_system, Batch.profile, Batch.file_name, Batch.status, Batch.read,
            Batch.loaded, Batch.duplicate, Batch.rejected, Batch.started_at, Batch.finished_at, Batch.error)


def _iso(value) -> str | None:
    return value.isoformat(sep=" ") if value else None


def _batch(r) -> dict[str, Any]:
    return {
        "id": r.id, "source_system": r.source_system, "profile": r.profile,
        # Uploaded files live in a per-upload folder: the base name is what the user chose.
        "file_name": PurePath(r.file_name.replace("\\", "/")).name,
        "status": r.status, "read": r.read, "loaded": r.loaded, "duplicate": r.duplicate, "rejected": r.rejected,
        "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at), "error": r.error,
    }


def batch_history(conn: Connection, *, page: int = 1, per_page: int = 50) -> tuple[list[dict[str, Any]], bool]:
    """Newest first; returns (batches, has_next)."""
    rows = conn.execute(
        select(*_COLUMNS).order_by(Batch.id.desc()).limit(per_page + 1).offset((max(page, 1) - 1) * per_page)
    ).all()
    return [_batch(r) for r in rows[:per_page]], len(rows) > per_page


def get_batch(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    r = conn.execute(select(*_COLUMNS).where(Batch.id == batch_id)).first()
    return _batch(r) if r else None


def _raw(text: str | None) -> dict[str, Any]:
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        raw = {"raw": text}
    return raw if isinstance(raw, dict) else {"raw": raw}


def _rejects_query(batch_id: int):
    return (select(Reject.row_number, Reject.column, Reject.reason, Reject.raw)
            .where(Reject.batch_id == batch_id).order_by(Reject.row_number, Reject.id))


def iter_batch_rejects(conn: Connection, batch_id: int, *, chunk: int = 2_000) -> Iterator[dict[str, Any]]:
    """Every reject of the batch in row order, with its raw row (already de-identified by the ETL) as a dict,
    fetched ``chunk`` rows at a time (a million rejects never sit in memory together)."""
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(_rejects_query(batch_id))
    for r in result:
        yield {"row_number": r.row_number, "column": r.column, "reason": r.reason, "raw": _raw(r.raw)}


def reject_raw_columns(conn: Connection, batch_id: int, *, chunk: int = 2_000) -> tuple[list[str], int]:
    """The raw rows' column names in first-seen (row) order and the number of rejects, read as a stream."""
    cols: dict[str, None] = {}
    n = 0
    result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
        select(Reject.raw).where(Reject.batch_id == batch_id).order_by(Reject.row_number, Reject.id))
    for (raw,) in result:
        cols.update(dict.fromkeys(_raw(raw)))
        n += 1
    return list(cols), n


def batch_rejects(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """Every reject of the batch in row order, with its raw row (already de-identified by the ETL) as a dict."""
    return list(iter_batch_rejects(conn, batch_id))


def freshness(conn: Connection, dept: str | None) -> dict[str, Any] | None:
    """The last finished batch; for a department-bound user only how many of its records are theirs."""
    r = conn.execute(
        select(*_COLUMNS).where(Batch.status == "done").order_by(Batch.finished_at.desc(), Batch.id.desc()).limit(1)
    ).first()
    if r is None:
        return None
    info = _batch(r)
    if dept is None:
        return info
    mine = conn.execute(
        select(func.count()).select_from(Record).where(Record.batch_id == r.id, Record.dept_code == dept)
    ).scalar_one()
    return {"id": r.id, "finished_at": info["finished_at"], "loaded": mine, "scoped": True}
