"""The data version the result cache keys on: the last finished batch, the last ledger event, the active versions
and the last correction (a gold label rebuilds its day of the rollups)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from feedback.models import Batch, GoldLabel, LedgerEvent, ModelVersion


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Four indexed lookups, in one statement (every request asks), that change whenever the numbers on the
    overview can change."""
    batch = select(func.max(Batch.id)).where(Batch.finished_at.is_not(None)).scalar_subquery()
    event = select(func.max(LedgerEvent.id)).scalar_subquery()
    active = (select(func.aggregate_strings(ModelVersion.version, ","))
              .where(ModelVersion.active.is_(True)).scalar_subquery())
    label = select(func.max(GoldLabel.id)).scalar_subquery()
    return tuple(conn.execute(select(batch, event, active, label)).one())
