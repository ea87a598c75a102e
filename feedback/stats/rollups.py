"""Refresh the rollup tables (daily, monthly, 差评 tags) from records, active scores and voided ledger cases:
which days to rebuild, in one transaction (the statements are in feedback.stats.repository); and the update of
them for a correction or a 差评无效 ruling: one record's moves instead of its day's rebuild."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from feedback.filters import Filters
from feedback.models import RollupDaily
from feedback.stats import repository
from feedback.stats.moves import Move, RecordState, correction_moves, void_moves
from feedback.stats.queries import batch_days, raw_counts, record_state, rollup_counts

if TYPE_CHECKING:
    from feedback.scoring.repository import ScoreChange


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


def apply_correction(conn: Connection, change: ScoreChange) -> bool:
    """Move one corrected record's contribution in every rollup table (feedback.stats.moves) inside the caller's
    transaction, under the rollup lock: its old rows lose it, its new rows gain it. Where the rollups of its day
    are not what the records give — a row to move from is missing or too small, or a touched fine daily row
    disagrees with the day's records afterwards (rollups never built for the day, a batch not yet rolled up) —
    it rebuilds the record's day instead (refresh_days), so the rows always end as a rebuild leaves them.
    Returns True when the moves sufficed, False when the day was rebuilt."""
    repository.lock_rollups(conn)
    state = _record(conn, change.record_id)
    if (state.dims["category"], bool(state.hidden)) != (change.new_category, change.new_hidden):
        refresh_days(conn, state.day, state.day)  # not the score the change describes: count what is there
        return False
    moves = correction_moves(state, (change.old_category, change.old_hidden),
                             (change.new_category, change.new_hidden))
    return _apply(conn, state, moves, "category")


def apply_void(conn: Connection, record_id: int, voided: bool = True) -> bool:
    """Move one record between its rows of not voided and voided in every rollup table (feedback.stats.moves)
    after its ledger case's status changed in the caller's transaction — an approved 差评无效 ruling (``voided``
    True: the record is voided now, and was not before) —, under the rollup lock, with the correction's checks
    and fallback (apply_correction): the record's day is rebuilt where its rollups are not what the records give,
    or the record is not in the state ``voided`` says. Returns True when the moves sufficed, False when the day
    was rebuilt."""
    repository.lock_rollups(conn)
    state = _record(conn, record_id)
    if state.dims["voided"] != voided:
        refresh_days(conn, state.day, state.day)  # not the ruling described: count what is there
        return False
    return _apply(conn, state, void_moves(state, not voided, voided), "voided")


def _record(conn: Connection, record_id: int) -> RecordState:
    """The record's place in the rollups now (feedback.stats.queries.record_state); KeyError for no record."""
    row = record_state(conn, record_id)
    if row is None:
        raise KeyError(record_id)
    return RecordState(row["day"], {d: row[d] for d in repository.FINE_DIMS}, row["projects"], row["tags"],
                       int(row["hidden"]))


def _apply(conn: Connection, state: RecordState, moves: list[Move], by: str) -> bool:
    """Apply the record's moves; rebuild its day instead where a move cannot be applied or the moved fine daily
    rows (whose keys differ in ``by``) then disagree with the day's records. True when the moves sufficed."""
    if all(repository.move_row(conn, m.table, m.key, m.delta) for m in moves) and _agrees(conn, state, moves, by):
        return True
    refresh_days(conn, state.day, state.day)
    return False


def _agrees(conn: Connection, state: RecordState, moves: list[Move], by: str) -> bool:
    """Whether the moved fine daily rows hold what the day's records with their keys give (one read, split by
    ``by``, the dimension the moved rows' keys differ in)."""
    keys = [m.key for m in moves if m.table is RollupDaily]
    if not keys:
        return True
    raw = raw_counts(conn, state.day, [(d, state.dims[d]) for d in repository.FINE_DIMS if d != by], by)
    return all(rollup_counts(conn, RollupDaily, key) == raw.get(dict(key)[by], (0, 0, 0)) for key in keys)
