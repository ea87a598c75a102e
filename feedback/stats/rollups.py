"""Refresh the rollup tables (daily, monthly, 差评 tags) from records, active scores and voided ledger cases:
which days to rebuild, in one transaction (the statements are in feedback.stats.repository)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine

from feedback.filters import Filters
from feedback.stats import repository
from feedback.stats.queries import batch_days


@dataclass(frozen=True)
class RefreshResult:
    start_day: date | None  # None: from the first day (full rebuild)
    end_day: date | None  # None: to the last day
    fine_rows: int
    unit_rows: int
    tag_rows: int


def refresh_days(conn: Connection, start_day: date | None = None, end_day: date | None = None) -> RefreshResult:
    """Rebuild every rollup row of the days in [start_day, end_day] (open ends: all days) inside the caller's
    transaction. Idempotent: running it twice gives the same rows."""
    if start_day and end_day and start_day > end_day:
        raise ValueError(f"start_day {start_day} is after end_day {end_day}")
    repository.lock_rollups(conn)
    repository.delete_days(conn, start_day, end_day)
    period = Filters(start=start_day, end=end_day)
    fine = repository.insert_fine(conn, period)
    unit = repository.insert_unit(conn, start_day, end_day)
    repository.rebuild_months(conn, start_day, end_day)
    tags = repository.insert_tags(conn, period)
    return RefreshResult(start_day, end_day, fine, unit, tags)


def refresh_rollups(engine: Engine, start_day: date | None = None, end_day: date | None = None, *,
                    batch_ids: Iterable[int] | None = None) -> RefreshResult:
    """Refresh the rollups for a day range in one transaction; with ``batch_ids``, for the days those batches
    touched; with neither, rebuild everything (needed after a new model version becomes active)."""
    with engine.begin() as conn:
        if batch_ids is not None:
            span = batch_days(conn, batch_ids)
            if span is None:
                return RefreshResult(None, None, 0, 0, 0)
            start_day, end_day = span
        return refresh_days(conn, start_day, end_day)
