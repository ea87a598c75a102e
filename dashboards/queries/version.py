"""The data version the result cache keys on: the last finished batch, the last ledger event, the active versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from feedback.models import Batch, LedgerEvent, ModelVersion


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Three indexed lookups that change whenever the numbers on the overview can change."""
    batch = conn.execute(select(func.max(Batch.id)).where(Batch.finished_at.is_not(None))).scalar()
    event = conn.execute(select(func.max(LedgerEvent.id))).scalar()
    active = tuple(conn.execute(select(ModelVersion.version).where(ModelVersion.active.is_(True))
                                .order_by(ModelVersion.version)).scalars())
    return batch, event, active
