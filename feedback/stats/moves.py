"""A correction's moves in the rollup tables (pure): when a person's label changes a record's score category or
hidden-complaint flag, the record's contribution (one record, its first-rating project count, its hidden
complaint) leaves the rollup rows of its old state and joins those of its new one, in every table whose rows it is
counted in. feedback.stats.rollups applies the moves (feedback.stats.repository.move_row) instead of rebuilding the
record's day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from feedback.models import (
    RollupBadTag,
    RollupDaily,
    RollupDailyChannel,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyChannel,
    RollupMonthlyUnit,
    RollupQuarterly,
)
from feedback.stats.queries import TAG_DIMS, first_of_quarter, tag_counts
from feedback.stats.repository import CHANNEL_DIMS, CHANNEL_FINE_DIMS, FINE_DIMS, UNIT_DIMS

# Each counted table: its period column, how a day maps to it, and its dimensions (as refresh_days builds them).
COUNTED_TABLES = (
    (RollupDaily, "day", FINE_DIMS),
    (RollupDailyUnit, "day", UNIT_DIMS),
    (RollupDailyChannel, "day", CHANNEL_DIMS),
    (RollupMonthlyUnit, "month", UNIT_DIMS),
    (RollupMonthly, "month", FINE_DIMS),
    (RollupMonthlyChannel, "month", CHANNEL_FINE_DIMS),
    (RollupQuarterly, "quarter", FINE_DIMS),
)


@dataclass(frozen=True)
class Move:
    """Add ``delta`` (measure → change) to the one row of ``table`` whose columns equal ``key`` (None: NULL)."""

    table: Any  # a rollup model
    key: tuple[tuple[str, Any], ...]  # (column, value) pairs: the period and the table's dimensions
    delta: tuple[tuple[str, int], ...]  # (measure, change) pairs


@dataclass(frozen=True)
class RecordState:
    """A record's place in the rollups: its day, its dimensions under the active score (FINE_DIMS, the category
    and the hidden flag being the ones a correction changes), whether it counts as a project, and its tags."""

    day: date
    dims: Mapping[str, Any]  # FINE_DIMS → value
    projects: int  # 1: a first rating with a 办件编号
    tags: str | None


def period_of(period: str, day: date) -> date:
    """The first day of the day's ``period`` (day, month or quarter): a rollup table's period value."""
    if period == "day":
        return day
    return day.replace(day=1) if period == "month" else first_of_quarter(day)


def is_bad_with_tags(dims: Mapping[str, Any], tags: str | None) -> bool:
    """Whether the record's tags are counted in rollup_bad_tags (feedback.stats.queries.bad_conditions)."""
    level = dims["level"]
    return (dims["kind"] == "rating" and level is not None and level <= 2 and not dims["is_default"]
            and tags is not None)


def correction_moves(record: RecordState, old: tuple[str | None, bool], new: tuple[str | None, bool]) -> list[Move]:
    """The moves that take one record from its (category, hidden) ``old`` to ``new`` in every rollup table: its
    old row loses (n 1, projects, hidden), its new row gains them; a table without the category (unit, channel)
    only changes its hidden count, when the flag changed; rollup_bad_tags (a 差评's tags, by category, no hidden
    count) moves its tag mentions when the category changed. Nothing when ``old`` equals ``new``."""
    if old == new:
        return []
    before = {**record.dims, "category": old[0]}
    after = {**record.dims, "category": new[0]}
    h_old, h_new = int(old[1]), int(new[1])
    moves: list[Move] = []
    for table, period, dims in COUNTED_TABLES:
        key_old = ((period, period_of(period, record.day)), *((d, before[d]) for d in dims))
        key_new = ((period, period_of(period, record.day)), *((d, after[d]) for d in dims))
        if key_old == key_new:
            if h_new != h_old:
                moves.append(Move(table, key_old, (("n", 0), ("projects", 0), ("hidden", h_new - h_old))))
        else:
            moves.append(Move(table, key_old, (("n", -1), ("projects", -record.projects), ("hidden", -h_old))))
            moves.append(Move(table, key_new, (("n", 1), ("projects", record.projects), ("hidden", h_new))))
    if old[0] != new[0] and is_bad_with_tags(record.dims, record.tags):
        for tag, mentions in sorted(tag_counts(record.tags).items()):
            key_old = (("day", record.day), *((d, before[d]) for d in TAG_DIMS), ("tag", tag))
            key_new = (("day", record.day), *((d, after[d]) for d in TAG_DIMS), ("tag", tag))
            moves.append(Move(RollupBadTag, key_old, (("n", -mentions),)))
            moves.append(Move(RollupBadTag, key_new, (("n", mentions),)))
    return moves
