"""Downloads shared by the pages and the API, each audited as an export."""

from __future__ import annotations

from flask import Response, abort

from dashboards import auth, context
from dashboards.actions import csvout
from dashboards.queries.batches import batch_rejects, get_batch


def rejects_response(batch_id: int) -> Response:
    """The batch's rejects as a CSV whose formula-like cells are neutralised."""
    with context.engine().connect() as conn:
        if get_batch(conn, batch_id) is None:
            abort(404, description=f"批次 {batch_id} 不存在")
        rejects = batch_rejects(conn, batch_id)
    auth.audit_request("export", what="rejects", batch_id=batch_id, rows=len(rejects))
    return Response(
        csvout.rejects_csv(rejects), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rejects_batch_{batch_id}.csv"'},
    )
