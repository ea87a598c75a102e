"""The data version the result cache keys on: the last finished batch, the last ledger event, the active versions
and the corrections (a gold label moves its record in the rollups; so does its undo, which deletes it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from feedback.models import Batch, GoldLabel, LedgerEvent, ModelVersion


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Six lookups, in one statement (every request asks), that change whenever the numbers on the overview can
    change. The gold labels count beside their last id: an undo (撤销) deletes a label that need not be the last
    one (the last id stays; the count drops). Gold labels are people's corrections, few enough to count. And
    their last time: SQLite gives an undone newest label's id to the next label, which brings back the id and the
    count of the state with the undone label; the new label's time (microseconds) differs."""
    batch = select(func.max(Batch.id)).where(Batch.finished_at.is_not(None)).scalar_subquery()
    event = select(func.max(LedgerEvent.id)).scalar_subquery()
    active = (select(func.aggregate_strings(ModelVersion.version, ","))
              .where(ModelVersion.active.is_(True)).scalar_subquery())
    label = select(func.max(GoldLabel.id)).scalar_subquery()
    labels = select(func.count(GoldLabel.id)).scalar_subquery()
    labelled = select(func.max(GoldLabel.created_at)).scalar_subquery()
    return tuple(conn.execute(select(batch, event, active, label, labels, labelled)).one())
