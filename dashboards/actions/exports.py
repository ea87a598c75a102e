"""Downloads shared by the pages and the API, each audited as an export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, abort, stream_with_context
from sqlalchemy import Engine

from dashboards import auth, context
from dashboards.queries.batches import get_batch, iter_batch_rejects, reject_raw_columns
from feedback.sheets import neutralise

_FLUSH = 1 << 16  # characters of CSV sent per piece


def attachment(name: str, fallback: str | None = None) -> str:
    """The one Content-Disposition of every download named in Chinese (RFC 6266 / 5987 ``filename*``), with an
    ASCII ``fallback`` for old clients (default: the name's digits, letters and suffix)."""
    fallback = fallback or re.sub(r"[^0-9A-Za-z._-]+", "_", name).strip("_") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _rejects_csv(engine: Engine, batch_id: int, raw_cols: list[str]) -> Iterator[bytes]:
    """The rejects CSV (BOM, CRLF, cells neutralised) in pieces, read from the database as a stream: row number,
    column, reason, then the raw rows' columns in first-seen order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    with engine.connect() as conn:
        writer.writerow([neutralise(h) for h in ("行号", "字段", "原因", *raw_cols)])
        yield ("\ufeff" + buf.getvalue()).encode("utf-8")
        buf.seek(0)
        buf.truncate()
        for r in iter_batch_rejects(conn, batch_id):
            row = [r["row_number"], r["column"], r["reason"], *(r["raw"].get(c) for c in raw_cols)]
            writer.writerow(["" if v is None else neutralise(v) for v in row])
            if buf.tell() > _FLUSH:
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")


def rejects_response(batch_id: int) -> Response:
    """The batch's rejects as a CSV whose formula-like cells are neutralised, streamed."""
    engine = context.engine()
    with engine.connect() as conn:
        if get_batch(conn, batch_id) is None:
            abort(404, description=f"批次 {batch_id} 不存在")
        raw_cols, count = reject_raw_columns(conn, batch_id)
    auth.audit_request("export", what="rejects", batch_id=batch_id, rows=count)
    return Response(
        stream_with_context(_rejects_csv(engine, batch_id, raw_cols)), mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"拒收行_批次{batch_id}.csv")},
    )
