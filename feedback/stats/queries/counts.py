"""Record counts by dimensions from the daily / monthly rollups (or, to check them, raw records): the rating
frames every KPI is computed from, optionally summed from one prefetched frame."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, union_all
from sqlalchemy.sql import ColumnElement

from feedback.filters import Filters
from feedback.models import Record, RollupDailyUnit
from feedback.stats.grouping import group_index, max_per_group
from feedback.stats.queries import cells
from feedback.stats.queries.bulk import read_frame, readable
from feedback.stats.queries.sources import (
    DIMENSIONS,
    RATING_DIMS,
    Source,
    channel_source,
    check_by,
    column,
    filter_conditions,
    fits_channel,
    month_expr,
    needs_fine,
    needs_scores,
    needs_units,
    rated_conditions,
    raw_source,
    rollup_parts,
    rollup_source,
)


def _aggregate(conn: Connection, src: Source, f: Filters, by: Sequence[str], ratings_only: bool, *,
               grouped: bool = True):
    """The statement counting ``src``'s rows of ``f`` by ``by`` (key columns, display names as max(), the
    measures summed), its key names and its name columns; ``grouped=False``: the same columns row by row, not
    grouped (the parts of a period that ``counts`` sums in one GROUP BY)."""
    keys: list[ColumnElement] = []
    shown: list[ColumnElement] = []
    for b in dict.fromkeys(by):
        if b == "day":
            keys.append(src.day.label("day"))
        elif b == "month":
            keys.append(month_expr(conn, src.day).label("month"))
        else:
            first, *names = DIMENSIONS[b]
            keys.append(column(src, first).label(first))
            shown.extend((func.max(src.cols[n]) if grouped else src.cols[n]).label(n) for n in names)
    conds = filter_conditions(src, f)
    if ratings_only:
        conds += rated_conditions(src)
    measures = src.measures.items() if grouped else ((m, src.from_.c[m]) for m in src.measures)
    stmt = select(*keys, *shown, *(m.label(k) for k, m in measures)).select_from(src.from_).where(*conds)
    return stmt.group_by(*keys) if grouped else stmt, [k.name for k in keys], [c.name for c in shown]


def _keys_and_names(by: Sequence[str]) -> list[str]:
    """A count frame's columns before the measures: each dimension's key, then the display names (``_aggregate``)."""
    dims = list(dict.fromkeys(by))
    return [*(DIMENSIONS[b][0] for b in dims), *(n for b in dims for n in DIMENSIONS[b][1:])]


def counts(conn: Connection, filters: Filters, by: Sequence[str] = (), *, raw: bool = False,
           ratings_only: bool = False, ordered: bool = True, bulk: bool = False) -> pd.DataFrame:
    """Counts n (records), projects (first ratings with a 办件编号) and hidden (hidden complaints) by dimensions.

    Reads the smallest rollups that have every dimension asked for (the daily channel table when neither
    department nor region is asked for, the unit tables, or the fine ones for a service, sentiment or
    category; the service ones for a service by department or region without sentiment or category): whole
    months from the monthly table (whole quarters from the quarterly one when the fine question names a
    department or region and is not split by month) and edge days from the daily one, their
    rows summed in one statement; ``raw=True`` reads records instead (slow; for tests and checks). ``ratings_only`` keeps rated records (kind rating, with a level). Rows come in key order unless
    ``ordered=False`` (for a frame that is only summed further: sorting a year of groups costs 50 ms).
    ``bulk``: a large result, read as one CSV value on PostgreSQL (``bulk.read_frame``; the same frame); rated
    records by region, department, service and channel (the 总览's prefetched frame) are grouped by the service
    rollups' cell numbers (``cells``: a frame with a row per name where a key had several, the same sums)."""
    check_by(by)
    if raw:
        parts = [(raw_source(conn), filters)]
    elif fits_channel(filters, by):  # ~20 rows a day: a year of days is fewer rows than its months by unit
        parts = [(channel_source(), filters)]
    elif "day" in by:
        parts = [(rollup_source(needs_fine(filters, by)), filters)]
    else:
        parts = rollup_parts(filters, needs_fine(filters, by), needs_units(filters, by), quarters="month" not in by,
                             scores=needs_scores(filters, by))
    if bulk and ratings_only and not ordered and cells.fits(conn, by, parts):  # the 总览's frame: grouped by cell numbers, not nine columns
        frame = cells.read_frame(conn, parts, [*_keys_and_names(by), "n", "projects", "hidden"])
        if frame is not None:
            return normalise(frame)
    # several parts (whole quarters, months, edge days): their rows in one GROUP BY, each row hashed once
    built = [_aggregate(conn, src, f, by, ratings_only, grouped=len(parts) == 1) for src, f in parts]
    _, keys, shown = built[0]
    if len(built) == 1:
        stmt = built[0][0]
        stmt = stmt.order_by(*stmt.selected_columns[:len(keys)]) if ordered else stmt
    else:
        u = union_all(*(b[0] for b in built)).subquery()
        stmt = (select(*(u.c[k] for k in keys), *(func.max(u.c[n]).label(n) for n in shown),
                       *(func.sum(u.c[m]).label(m) for m in ("n", "projects", "hidden")))
                .group_by(*(u.c[k] for k in keys)))
        stmt = stmt.order_by(*(u.c[k] for k in keys)) if ordered else stmt
    columns = [*keys, *shown, "n", "projects", "hidden"]
    if bulk and readable(conn, columns):
        frame = read_frame(conn, stmt, columns)
        if frame is not None:
            return normalise(frame)
    return count_frame(conn.execute(stmt).all(), columns)



def rating_frame(conn: Connection, filters: Filters, by: Sequence[str] = (), *, raw: bool = False,
                 prefetched: Prefetch = None) -> pd.DataFrame:
    """The frame the KPI formulas read: rated records by ``by`` + level, is_default, voided; n, projects, hidden.

    With ``prefetched`` (see ``prefetch``; one, or several of different filters) a frame of filters one of them
    covers is summed from it in pandas."""
    dims = (*by, *RATING_DIMS)
    check_by(dims)
    if not raw:
        for p in prefetches(prefetched):
            frame = p.frame(filters, dims)
            if frame is not None:
                return frame
    return counts(conn, filters, dims, raw=raw, ratings_only=True)


def rating_rows(conn: Connection, filters: Filters, by: Sequence[str] = (), *,
                prefetched: Prefetch = None) -> tuple[pd.DataFrame, dict | None]:
    """Rows whose sums by ``by`` (and the rating dimensions) are ``rating_frame(conn, filters, by)``, for the KPI
    formulas, which only sum over rows (``kpi.rating_table``): the base of a ``prefetched`` frame that covers the
    filters, as it is (split further), with its factorised columns; else the rating frame, and None."""
    dims = (*by, *RATING_DIMS)
    check_by(dims)
    for p in prefetches(prefetched):
        if p.covers(filters, dims):
            return p.base, p.factorised
    return counts(conn, filters, dims, ratings_only=True), None


@dataclass(frozen=True, eq=False)
class Prefetched:
    """The rating frame of one filter set split by ``by`` (no day or month), fetched once by ``prefetch``.

    ``rating_frame(..., prefetched=p)`` sums the frames of exactly these filters split by any of ``by`` from it
    in pandas, instead of a GROUP BY over the rollups each: the 总览 asks for the same period by region,
    department, service and channel, which for a year is ~100,000 monthly rows per statement. The frames are the
    ones ``rating_frame`` reads (same rows and values; a test compares them). ``cases`` (``cases.prefetch_cases``):
    the ledger's case counts of the same filters split by the unit dimensions of ``by``, as of ``today``."""

    filters: Filters
    by: frozenset[str]
    base: pd.DataFrame
    factorised: dict = field(default_factory=dict)  # the base's factorised columns, computed once
    cases: pd.DataFrame | None = None
    today: date | None = None

    def frame(self, filters: Filters, by: Sequence[str]) -> pd.DataFrame | None:
        """The rating frame of ``filters`` by ``by`` (rating dimensions included) summed from the base; None
        when the base does not cover it."""
        return regroup(self.base, by, self.factorised) if self.covers(filters, by) else None

    def covers(self, filters: Filters, by: Sequence[str]) -> bool:
        """Whether the rating frame of ``filters`` by ``by`` is a sum of the base's rows."""
        return self.filters == filters and set(by) <= self.by | set(RATING_DIMS)


Prefetch = Prefetched | Sequence[Prefetched] | None  # what ``prefetched=`` arguments take


def prefetches(prefetched: Prefetch) -> tuple[Prefetched, ...]:
    """``prefetched`` as a tuple (none, one or several)."""
    if prefetched is None:
        return ()
    return (prefetched,) if isinstance(prefetched, Prefetched) else tuple(prefetched)


def prefetch(conn: Connection, filters: Filters, by: Sequence[str]) -> Prefetched:
    """The rating frame of ``filters`` split by ``by`` (and the rating dimensions), for ``rating_frame``'s
    ``prefetched`` argument."""
    if "day" in by or "month" in by:
        raise ValueError("prefetched frames cannot be split by day or month")
    base = counts(conn, filters, (*by, *RATING_DIMS), ratings_only=True, ordered=False, bulk=True)
    return Prefetched(filters, frozenset(by), base)


def regroup(base: pd.DataFrame, by: Sequence[str], factorised: dict | None = None) -> pd.DataFrame:
    """``base`` summed to the dimensions ``by``: keys in order, display names as max() (NULLs ignored, as SQL),
    n / projects / hidden summed; rows in key order (missing keys last)."""
    dims = list(dict.fromkeys(by))
    keys = [DIMENSIONS[b][0] for b in dims]
    shown = [n for b in dims for n in DIMENSIONS[b][1:]]
    cols: dict[str, Any] = {}
    if base.empty:
        return normalise(base[[*keys, *shown, "n", "projects", "hidden"]].reset_index(drop=True))
    key_cols, inverse, groups = group_index(base, keys, factorised)
    cols.update(key_cols)
    for name in shown:
        cols[name] = max_per_group(base, name, inverse, groups, factorised)
    for m in ("n", "projects", "hidden"):
        cols[m] = np.bincount(inverse, weights=base[m].to_numpy(dtype="float64"), minlength=groups).astype("int64")
    return normalise(pd.DataFrame(cols))


_COUNTS, _FLAGS = ("n", "projects", "hidden"), ("is_default", "voided")


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes on both dialects: ints for counts and levels, bools for flags, dates for days.

    Builds the result in one constructor, leaving columns that already have their dtype as they are (setting
    columns one by one cost more than the query on small frames)."""
    cols: dict[str, Any] = {}
    for c in frame.columns:
        s = frame[c]
        if c in _COUNTS:
            cols[c] = s.to_numpy() if s.dtype == "int64" else s.fillna(0).astype("int64")
        elif c in _FLAGS:
            cols[c] = s.to_numpy() if s.dtype == bool else s.astype(bool)
        elif c == "level":
            cols[c] = s.astype("Int64")
        elif c == "day":
            values = s.to_numpy()
            plain = s.dtype == object and all(type(v) is date for v in values)
            cols[c] = values if plain else pd.to_datetime(s).dt.date
        else:
            cols[c] = s
    return pd.DataFrame(cols, index=frame.index)


def count_frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """``normalise(to_frame(rows, columns))`` built column by column: the counts and flags go straight into their
    dtypes instead of being inferred from Python objects first (a year's prefetched frame, 17,000 rows: 12 → 7
    ms); every other column is inferred as ``to_frame`` infers it. A test holds the two forms equal."""
    if not rows:  # normalise(to_frame([], columns)), built directly (its casts cost ~2 ms)
        return pd.DataFrame({c: np.zeros(0, dtype="int64") if c in _COUNTS else np.zeros(0, dtype=bool)
                             if c in _FLAGS else pd.array([], dtype="Int64") if c == "level" else
                             np.zeros(0, dtype=object) for c in columns})
    cols: dict[str, Any] = {}
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        if name in _COUNTS and None not in values:
            cols[name] = np.array(values, dtype="int64")
        elif name in _FLAGS and None not in values:
            cols[name] = np.array(values, dtype=bool)
        else:
            cols[name] = list(values)
    return normalise(pd.DataFrame(cols))


def to_frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """A frame from result tuples (much faster than from mappings)."""
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(columns))


def latest_day(conn: Connection, kind: str = "rating") -> date | None:
    """The latest day present in the rollups for records of ``kind``."""
    value = conn.execute(select(func.max(RollupDailyUnit.day)).where(RollupDailyUnit.kind == kind)).scalar()
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def batch_days(conn: Connection, batch_ids: Iterable[int]) -> tuple[date, date] | None:
    """First and last rating day of the records loaded by these batches (None when they loaded nothing)."""
    ids = list(batch_ids)
    if not ids:
        return None
    lo, hi = conn.execute(
        select(func.min(Record.rated_at), func.max(Record.rated_at)).where(Record.batch_id.in_(ids))
    ).one()
    if lo is None:
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
