"""One record's moves in the rollup tables (pure): when a person's label changes a record's score category or
hidden-complaint flag, or an approved 差评无效 ruling voids it, the record's contribution (one record, its
first-rating project count, its hidden complaint) leaves the rollup rows of its old state and joins those of its
new one, in every table whose rows it is counted in. feedback.stats.rollups applies the moves
(feedback.stats.repository.move_row) instead of rebuilding the record's day."""

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
    RollupMonthlyService,
    RollupMonthlyUnit,
    RollupQuarterly,
    RollupQuarterlyService,
)
from feedback.stats.queries import TAG_DIMS, first_of_quarter, tag_counts
from feedback.stats.repository import CHANNEL_DIMS, CHANNEL_FINE_DIMS, FINE_DIMS, SERVICE_DIMS, UNIT_DIMS

# Each counted table: its period column, how a day maps to it, and its dimensions (as refresh_days builds them).
COUNTED_TABLES = (
    (RollupDaily, "day", FINE_DIMS),
    (RollupDailyUnit, "day", UNIT_DIMS),
    (RollupDailyChannel, "day", CHANNEL_DIMS),
    (RollupMonthlyUnit, "month", UNIT_DIMS),
    (RollupMonthly, "month", FINE_DIMS),
    (RollupMonthlyChannel, "month", CHANNEL_FINE_DIMS),
    (RollupQuarterly, "quarter", FINE_DIMS),
    (RollupMonthlyService, "month", SERVICE_DIMS),
    (RollupQuarterlyService, "quarter", SERVICE_DIMS),
)


@dataclass(frozen=True)
class Move:
    """Add ``delta`` (measure → change) to the one row of ``table`` whose columns equal ``key`` (None: NULL)."""

    table: Any  # a rollup model
    key: tuple[tuple[str, Any], ...]  # (column, value) pairs: the period and the table's dimensions
    delta: tuple[tuple[str, int], ...]  # (measure, change) pairs


@dataclass(frozen=True)
class RecordState:
    """A record's place in the rollups: its day, its dimensions under the active score (FINE_DIMS; the category
    and the hidden flag are what a correction changes, ``voided`` what a 差评无效 ruling changes), whether it counts
    as a project, its tags, and its hidden-complaint flag under the active score (0/1)."""

    day: date
    dims: Mapping[str, Any]  # FINE_DIMS → value
    projects: int  # 1: a first rating with a 办件编号
    tags: str | None
    hidden: int = 0  # a correction's moves take the flag before and after from the correction instead


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


def state_moves(record: RecordState, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Move]:
    """The moves that take one record from ``old`` to ``new`` in every rollup table. Each maps the dimensions
    that change (FINE_DIMS names; the others are the record's) and ``hidden``, the record's hidden flag there.
    In each table whose key the change alters, the old row loses the record (n 1, projects, hidden) and the new
    row gains it; a table whose key stays (the unit and channel tables for a category) only changes its hidden
    count, when the flag changed; rollup_bad_tags (a 差评's tags; no hidden count) moves the tag mentions when its
    key changes. Nothing when ``old`` equals ``new``."""
    before = {**record.dims, **{d: v for d, v in old.items() if d != "hidden"}}
    after = {**record.dims, **{d: v for d, v in new.items() if d != "hidden"}}
    h_old, h_new = int(old["hidden"]), int(new["hidden"])
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
    tag_old = (("day", record.day), *((d, before[d]) for d in TAG_DIMS))
    tag_new = (("day", record.day), *((d, after[d]) for d in TAG_DIMS))
    if tag_old != tag_new and is_bad_with_tags(record.dims, record.tags):
        for tag, mentions in sorted(tag_counts(record.tags).items()):
            moves.append(Move(RollupBadTag, (*tag_old, ("tag", tag)), (("n", -mentions),)))
            moves.append(Move(RollupBadTag, (*tag_new, ("tag", tag)), (("n", mentions),)))
    return moves


def correction_moves(record: RecordState, old: tuple[str | None, bool], new: tuple[str | None, bool]) -> list[Move]:
    """A correction's moves: the record's (category, hidden) from ``old`` to ``new`` (state_moves). The fine
    tables move its row between categories; the unit and channel tables, without a category, only change their
    hidden count; rollup_bad_tags moves a 差评's tag mentions when the category changed."""
    return state_moves(record, {"category": old[0], "hidden": old[1]}, {"category": new[0], "hidden": new[1]})


def void_moves(record: RecordState, voided_before: bool, voided_after: bool) -> list[Move]:
    """A ruling's moves: the record from its ``voided_before`` rows to its ``voided_after`` rows (差评无效: False →
    True) with its count, project and hidden complaint (state_moves); every table keeps ``voided``, so every one
    moves, and rollup_bad_tags moves a 差评's tag mentions."""
    hidden = record.hidden
    return state_moves(record, {"voided": voided_before, "hidden": hidden},
                       {"voided": voided_after, "hidden": hidden})
