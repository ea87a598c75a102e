"""Read-only SQL for statistics: counts from the daily rollups (or, to check them, raw records) and ledger cases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    String,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.sql import ColumnElement, FromClause

from feedback.filters import Filters
from feedback.models import (
    LedgerCase,
    ModelVersion,
    Record,
    RollupBadTag,
    RollupDaily,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyUnit,
    Score,
)

# A ``by`` dimension → the output columns it adds (the first is the grouping key; the others are display names).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "day": ("day",), "month": ("month",), "kind": ("kind",), "dept": ("dept_key", "dept_name"),
    "region": ("region_code",), "channel": ("channel",), "service": ("service_key", "service_name"),
    "level": ("level",), "is_default": ("is_default",), "voided": ("voided",), "sentiment": ("sentiment",),
    "category": ("category",),
}
_FINE_ONLY = {"service", "sentiment", "category"}  # dimensions the small unit table does not keep
RATING_DIMS = ("level", "is_default", "voided")  # always in a rating frame: the KPI formulas need them


def active_version(conn: Connection) -> str | None:
    """The active scoring model version, whose scores give sentiment, category and hidden complaints."""
    return conn.execute(
        select(ModelVersion.version)
        .where(ModelVersion.active.is_(True), ModelVersion.kind == "scoring")
        .order_by(ModelVersion.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def day_expr(conn: Connection, ts: Any) -> ColumnElement:
    """The calendar day of a timestamp column, as the dialect stores a DATE."""
    return func.date(ts) if conn.dialect.name == "sqlite" else cast(ts, Date)


def month_expr(conn: Connection, col: Any) -> ColumnElement:
    """'YYYY-MM' of a date or timestamp column."""
    if conn.dialect.name == "sqlite":
        return func.strftime("%Y-%m", col)
    return func.to_char(col, "YYYY-MM")


@dataclass(frozen=True)
class Source:
    """Where the counts come from: a FROM clause, dimension columns by name, measure expressions, day bounds."""

    from_: FromClause
    cols: dict[str, ColumnElement]
    measures: dict[str, ColumnElement]
    day: ColumnElement  # for month/day grouping
    ts: ColumnElement | None = None  # raw sources filter on the timestamp (index friendly), rollups on day
    text_ts: bool = False  # SQLite: timestamps are text, with or without microseconds


def raw_source(conn: Connection, *, version: str | None = None) -> Source:
    """Records joined with their active score and their voided ledger case: the truth the rollups summarise."""
    r, s, lc = Record.__table__, Score.__table__, LedgerCase.__table__
    version = version if version is not None else active_version(conn)
    from_ = r.outerjoin(s, and_(s.c.record_id == r.c.id, s.c.model_version == version)).outerjoin(
        lc, and_(lc.c.record_id == r.c.id, lc.c.status == "voided")
    )
    cols = {
        "kind": r.c.kind, "dept_code": r.c.dept_code, "dept_name": r.c.dept_name, "region_code": r.c.region_code,
        "channel": r.c.channel, "service_code": r.c.service_code, "service_name": r.c.service_name,
        "level": r.c.level, "is_default": r.c.is_default,
        "voided": case((lc.c.id.is_not(None), true()), else_=false()),
        "sentiment": s.c.sentiment, "category": s.c.category,
    }
    first = and_(r.c.project_no.is_not(None), func.coalesce(r.c.assess_number, 1) == 1)
    measures = {
        "n": func.count(),
        "projects": func.sum(case((first, 1), else_=0)),
        "hidden": func.sum(case((s.c.hidden_complaint.is_(True), 1), else_=0)),
    }
    return Source(from_, cols, measures, day_expr(conn, r.c.rated_at), ts=r.c.rated_at,
                  text_ts=conn.dialect.name == "sqlite")


def rollup_source(fine: bool) -> Source:
    t = (RollupDaily if fine else RollupDailyUnit).__table__
    cols = {c.name: c for c in t.c if c.name not in ("id", "day", "n", "projects", "hidden")}
    measures = {m: func.sum(t.c[m]) for m in ("n", "projects", "hidden")}
    return Source(t, cols, measures, t.c.day)


def column(src: Source, name: str) -> ColumnElement:
    """A dimension column of a source; dept_key / service_key are the code, or the name when there is none."""
    if name in ("dept_key", "service_key"):
        unit = name.split("_")[0]
        return func.coalesce(src.cols[f"{unit}_code"], src.cols[f"{unit}_name"])
    return src.cols[name]


def filter_conditions(src: Source, f: Filters) -> list[ColumnElement]:
    """Every field of the shared filter set, as bound-parameter conditions on a source (the same semantics as
    the dashboard's record filter: dept = dept_code; service = service_code or service_name)."""
    conds: list[ColumnElement] = []
    if src.ts is None:
        conds += [src.day >= f.start] if f.start is not None else []
        conds += [src.day <= f.end] if f.end is not None else []
    elif src.text_ts:  # 'YYYY-MM-DD' sorts before every time of that day in either text format
        ts = type_coerce(src.ts, String)
        conds += [ts >= f.start.isoformat()] if f.start is not None else []
        conds += [ts < (f.end + timedelta(days=1)).isoformat()] if f.end is not None else []
    else:
        conds += [src.ts >= datetime.combine(f.start, time())] if f.start is not None else []
        conds += [src.ts < datetime.combine(f.end + timedelta(days=1), time())] if f.end is not None else []
    pairs = (("dept_code", f.depts), ("region_code", f.regions), ("channel", f.channels), ("level", f.levels),
             ("category", f.categories), ("sentiment", f.sentiments), ("kind", f.kinds))
    for col, values in pairs:
        if values:
            conds.append(src.cols[col].in_(list(values)))
    if f.services:
        conds.append(or_(src.cols["service_code"].in_(list(f.services)),
                         src.cols["service_name"].in_(list(f.services))))
    return conds


def _check_by(by: Sequence[str]) -> None:
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; known: {', '.join(DIMENSIONS)}")


def _needs_fine(f: Filters, by: Sequence[str]) -> bool:
    return bool(f.services or f.categories or f.sentiments or _FINE_ONLY.intersection(by))


def month_start(conn: Connection, col: Any) -> ColumnElement:
    """The first day of the month of a date column, as a DATE."""
    if conn.dialect.name == "sqlite":
        return func.date(col, "start of month")
    return cast(func.date_trunc("month", col), Date)


def next_month(d: date) -> date:
    """The first day of the month after ``d``'s month."""
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def rollup_parts(f: Filters, fine: bool = False) -> list[tuple[Source, Filters]]:
    """Split the period into edge days (daily table) and whole months (monthly table): the unit tables, or with
    ``fine`` the tables that keep service, sentiment and category."""
    daily, t = rollup_source(fine), (RollupMonthly if fine else RollupMonthlyUnit).__table__
    monthly = Source(t, {c.name: c for c in t.c if c.name not in ("id", "month", "n", "projects", "hidden")},
                     {m: func.sum(t.c[m]) for m in ("n", "projects", "hidden")}, t.c.month)
    first = f.start if f.start is None or f.start.day == 1 else next_month(f.start)
    last = None if f.end is None else f.end.replace(day=1)  # first day of the last whole month
    if last is not None and next_month(last) - timedelta(days=1) != f.end:
        last = (last - timedelta(days=1)).replace(day=1)
    if first is not None and last is not None and first > last:
        return [(daily, f)]
    parts = [(monthly, f.with_period(first, last))]
    if f.start is not None and f.start < first:
        parts.append((daily, f.with_period(f.start, first - timedelta(days=1))))
    if f.end is not None and next_month(last) <= f.end:
        parts.append((daily, f.with_period(next_month(last), f.end)))
    return parts


def _aggregate(conn: Connection, src: Source, f: Filters, by: Sequence[str], ratings_only: bool):
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
            shown.extend(func.max(src.cols[n]).label(n) for n in names)
    conds = filter_conditions(src, f)
    if ratings_only:
        conds += [src.cols["kind"] == "rating", src.cols["level"].is_not(None)]
    stmt = (select(*keys, *shown, *(m.label(k) for k, m in src.measures.items()))
            .select_from(src.from_).where(*conds).group_by(*keys))
    return stmt, [k.name for k in keys], [c.name for c in shown]


def counts(conn: Connection, filters: Filters, by: Sequence[str] = (), *, raw: bool = False,
           ratings_only: bool = False, ordered: bool = True) -> pd.DataFrame:
    """Counts n (records), projects (first ratings with a 办件编号) and hidden (hidden complaints) by dimensions.

    Reads the smallest rollups that have every dimension asked for (the unit tables, or the fine ones for a
    service, sentiment or category): whole months from the monthly table and edge days from the daily one, in
    one statement; ``raw=True`` reads records instead (slow; for tests and
    checks). ``ratings_only`` keeps rated records (kind rating, with a level). Rows come in key order unless
    ``ordered=False`` (for a frame that is only summed further: sorting a year of groups costs 50 ms)."""
    _check_by(by)
    if ratings_only and not raw:
        derived = _from_prefetched(conn, filters, by)
        if derived is not None:
            return derived
    if raw:
        parts = [(raw_source(conn), filters)]
    elif "day" in by:
        parts = [(rollup_source(_needs_fine(filters, by)), filters)]
    else:
        parts = rollup_parts(filters, _needs_fine(filters, by))
    built = [_aggregate(conn, src, f, by, ratings_only) for src, f in parts]
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
    return _normalise(_frame(conn.execute(stmt).all(), [*keys, *shown, "n", "projects", "hidden"]))


_PREFETCHED = "haocha.prefetched_rating_frames"


@contextmanager
def prefetched(conn: Connection, filters: Filters, by: Sequence[str]) -> Iterator[pd.DataFrame]:
    """Within the block, rating frames of exactly ``filters`` split by any of ``by`` (no day or month) are summed
    in pandas from one frame fetched here, instead of a GROUP BY over the rollups each: the 总览 asks for the
    same period by region, department, service and channel, which for a year is ~100,000 monthly rows per
    statement. The frames are the ones ``rating_frame`` reads (same rows and values; a test compares them)."""
    if "day" in by or "month" in by:
        raise ValueError("prefetched frames cannot be split by day or month")
    base = counts(conn, filters, (*by, *RATING_DIMS), ratings_only=True, ordered=False)
    stack = conn.info.setdefault(_PREFETCHED, [])
    stack.append((filters, frozenset(by), base, {}))  # {}: the base's factorised columns, computed once
    try:
        yield base
    finally:
        stack.pop()


def _from_prefetched(conn: Connection, filters: Filters, by: Sequence[str]) -> pd.DataFrame | None:
    """A rating frame summed from a prefetched one that has every dimension asked for, else None."""
    for have_filters, have_by, base, factorised in reversed(conn.info.get(_PREFETCHED, ())):
        if have_filters == filters and set(by) <= have_by | set(RATING_DIMS):
            return _regroup(base, by, factorised)
    return None


def _regroup(base: pd.DataFrame, by: Sequence[str], factorised: dict | None = None) -> pd.DataFrame:
    """``base`` summed to the dimensions ``by``: keys in order, display names as max() (NULLs ignored, as SQL),
    n / projects / hidden summed; rows in key order (missing keys last)."""
    dims = list(dict.fromkeys(by))
    keys = [DIMENSIONS[b][0] for b in dims]
    shown = [n for b in dims for n in DIMENSIONS[b][1:]]
    cols: dict[str, Any] = {}
    if base.empty:
        return _normalise(base[[*keys, *shown, "n", "projects", "hidden"]].reset_index(drop=True))
    key_cols, inverse, groups = group_index(base, keys, factorised)
    cols.update(key_cols)
    for name in shown:
        codes, uniques = _factorize(base, name, factorised, na_sentinel=True)  # missing → -1, never the max
        top = np.full(groups, -1)
        np.maximum.at(top, inverse, codes)
        cols[name] = pd.Series(uniques.take(np.maximum(top, 0)), dtype=base[name].dtype).where(top >= 0)
    for m in ("n", "projects", "hidden"):
        cols[m] = np.bincount(inverse, weights=base[m].to_numpy(dtype="float64"), minlength=groups).astype("int64")
    return _normalise(pd.DataFrame(cols))


def _factorize(frame: pd.DataFrame, column: str, cache: dict | None, *, na_sentinel: bool = False):
    """pd.factorize(sort=True) of a column, remembered in ``cache`` (keyed by column and NaN handling)."""
    if cache is not None and (column, na_sentinel) in cache:
        return cache[(column, na_sentinel)]
    out = pd.factorize(frame[column], sort=True, use_na_sentinel=na_sentinel)
    if cache is not None:
        cache[(column, na_sentinel)] = out
    return out


def group_index(frame: pd.DataFrame, by: list[str],
                factorised: dict | None = None) -> tuple[dict[str, Any], np.ndarray, int]:
    """The groups of ``frame.groupby(by, dropna=False, sort=True)`` without pandas' groupby: their key columns
    (as groupby builds them), each row's group number and the number of groups. ``frame`` must not be empty;
    ``factorised`` keeps the columns' factorisations for the next call on the same frame."""
    codes, uniques = zip(*(_factorize(frame, b, factorised) for b in by), strict=True)
    sizes = tuple(max(len(u), 1) for u in uniques)
    if len(by) == 1:
        ids, inverse = np.unique(np.asarray(codes[0], dtype="int64"), return_inverse=True)
        key_codes: Any = (ids,)
    elif np.prod(np.array(sizes, dtype="float64")) < 2 ** 62:
        ids, inverse = np.unique(np.ravel_multi_index(codes, sizes), return_inverse=True)
        key_codes = np.unravel_index(ids, sizes)
    else:  # too many combinations to number: unique rows of codes (also in lexicographic order)
        rows, inverse = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
        key_codes, ids = tuple(rows.T), rows
    # key columns as groupby builds them: its index infers a dtype for object keys (strings → str)
    keys = {b: (u.take(c) if u.dtype != object else pd.Index(list(u.take(c))))
            for b, u, c in zip(by, uniques, key_codes, strict=True)}
    return keys, inverse.reshape(-1), len(ids)


def rating_frame(conn: Connection, filters: Filters, by: Sequence[str] = (), *, raw: bool = False) -> pd.DataFrame:
    """The frame the KPI formulas read: rated records by ``by`` + level, is_default, voided; n, projects, hidden."""
    return counts(conn, filters, (*by, *RATING_DIMS), raw=raw, ratings_only=True)


_COUNTS, _FLAGS = ("n", "projects", "hidden"), ("is_default", "voided")


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
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


def split_tags(tags: pd.Series) -> pd.Series:
    """One tag code per row from comma / | / ; separated strings (index kept, blanks dropped)."""
    out = tags.astype("string").str.split(r"[,|;，\s]+", regex=True).explode().str.strip()
    return out[out.notna() & (out != "")]


TAG_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
            "voided", "sentiment", "category")  # the dimensions of rollup_bad_tags
_TAG_BY = {"day", "month", "kind", "dept", "region", "channel", "service", "level", "voided", "sentiment",
           "category"}


def bad_tag_rows(conn: Connection, filters: Filters) -> pd.DataFrame:
    """差评 tag mentions straight from records, counted per day, TAG_DIMS and tag: the rows of rollup_bad_tags.

    Tags are a delimited string on the record, so they are split here, over 差评 only (a tiny share)."""
    src = raw_source(conn)
    stmt = (
        select(src.day.label("day"), *(src.cols[d].label(d) for d in TAG_DIMS), Record.tags.label("tags"))
        .select_from(src.from_)
        .where(*filter_conditions(src, filters), *bad_conditions(src), Record.tags.is_not(None))
    )
    rows = _frame(conn.execute(stmt).all(), ["day", *TAG_DIMS, "tags"])
    rows = rows.join(split_tags(rows.pop("tags")).rename("tag"), how="inner")
    rows["tag"] = rows["tag"].str.slice(0, 16)
    rows = _normalise(rows)
    out = rows.groupby(["day", *TAG_DIMS, "tag"], dropna=False).size().rename("n").reset_index()
    return _normalise(out)


def bad_tag_frame(conn: Connection, filters: Filters, by: Sequence[str] = (), *,
                  raw: bool = False) -> pd.DataFrame:
    """Evaluation-tag counts of 差评 (non-default ratings at levels 1-2): columns *keys of by, tag, voided, n."""
    _check_by(by)
    if set(by) - _TAG_BY:
        raise ValueError(f"tag counts cannot be split by {sorted(set(by) - _TAG_BY)}")
    keys = [DIMENSIONS[b][0] for b in dict.fromkeys(by) if b != "voided"]
    if raw:
        rows = bad_tag_rows(conn, filters)
        rows["month"] = pd.to_datetime(rows["day"]).dt.strftime("%Y-%m")
        rows["dept_key"] = rows["dept_code"].fillna(rows["dept_name"])
        rows["service_key"] = rows["service_code"].fillna(rows["service_name"])
    else:
        t = RollupBadTag.__table__
        src = Source(t, {c.name: c for c in t.c}, {}, t.c.day)
        key_cols = [month_expr(conn, t.c.day).label(k) if k == "month" else column(src, k).label(k) for k in keys]
        stmt = (select(*key_cols, t.c.tag, t.c.voided, func.sum(t.c.n).label("n"))
                .where(*filter_conditions(src, filters)).group_by(*key_cols, t.c.tag, t.c.voided))
        rows = _normalise(_frame(conn.execute(stmt).all(), [*keys, "tag", "voided", "n"]))
    out = rows.groupby([*keys, "tag", "voided"], dropna=False, as_index=False)["n"].sum()
    return out.astype({"n": "int64", "voided": bool})


def bad_conditions(src: Source) -> list[ColumnElement]:
    c = src.cols
    return [c["kind"] == "rating", c["level"] <= 2, c["is_default"].is_(False)]


CASE_COLUMNS = ("case_id", "record_id", "origin", "status", "outcome", "rule", "opened_at", "verify_due",
                "rectify_due", "extended_days", "verified_at", "rectified_at", "replied_at", "revisited_at",
                "closed_at", "satisfaction", "ruling")


_CASE_DIMS = ("dept_key", "dept_code", "dept_name", "region_code", "channel", "service_key", "service_code",
              "service_name", "level", "is_default", "kind")


def case_frame(conn: Connection, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
    """Ledger cases whose record passes the filters (period = the record's rating time), one row per case,
    with the record's dimensions (copied onto the case: dept_key … kind, rated_at) and any day / month ``by``
    columns. Reads only the cases table, and the active scores when a category or sentiment filter is set."""
    _check_by(by)
    c = LedgerCase.__table__
    src = _case_source(conn, filters)
    from_ = src.from_
    extra = [src.day.label("day") if b == "day" else month_expr(conn, c.c.rated_at).label("month")
             for b in dict.fromkeys(by) if b in ("day", "month")]
    own = [c.c.id.label("case_id"), *(c.c[k].label(k) for k in CASE_COLUMNS[1:])]
    dims = [column(src, k).label(k) for k in _CASE_DIMS]
    stmt = (select(*own, *dims, c.c.rated_at.label("rated_at"), *extra)
            .select_from(from_).where(*filter_conditions(src, filters)).order_by(c.c.id))
    names = [e.name for e in (*own, *dims)] + ["rated_at"] + [e.name for e in extra]
    frame = _frame(conn.execute(stmt).all(), names)
    for col in ("verify_due", "rectify_due"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    for col in ("opened_at", "verified_at", "rectified_at", "replied_at", "revisited_at", "closed_at", "rated_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    frame["level"] = frame["level"].astype("Int64")
    frame["is_default"] = frame["is_default"].astype(bool)
    return frame


def _case_source(conn: Connection, filters: Filters) -> Source:
    """The cases table with its copied record dimensions; the active scores only when a filter needs them."""
    c = LedgerCase.__table__
    cols: dict[str, ColumnElement] = {k: c.c[k] for k in _CASE_DIMS if k in c.c}
    from_: FromClause = c
    if filters.categories or filters.sentiments:
        s = Score.__table__
        from_ = c.outerjoin(s, and_(s.c.record_id == c.c.record_id, s.c.model_version == active_version(conn)))
        cols |= {"sentiment": s.c.sentiment, "category": s.c.category}
    return Source(from_, cols, {}, day_expr(conn, c.c.rated_at), ts=c.c.rated_at,
                  text_ts=conn.dialect.name == "sqlite")


CASE_FLAGS = ("status", "outcome", "satisfaction", "replied", "done", "on_time", "rectify_past", "verify_past")


def case_counts(conn: Connection, filters: Filters, by: Sequence[str] = (), *, today: date) -> pd.DataFrame:
    """Cases counted by ``by`` and the flags the ledger KPIs need, as of ``today``: status, outcome,
    satisfaction, replied (反馈 given), done (rectified), on_time (rectified on or before rectify_due),
    rectify_past / verify_past (deadline before today); n. Small whatever the number of cases."""
    _check_by(by)
    c = LedgerCase.__table__
    src = _case_source(conn, filters)

    def flag(cond: ColumnElement) -> ColumnElement:
        return case((cond, true()), else_=false())

    keys = [src.day.label("day") if b == "day" else month_expr(conn, c.c.rated_at).label("month")
            if b == "month" else column(src, DIMENSIONS[b][0]).label(DIMENSIONS[b][0]) for b in dict.fromkeys(by)]
    flags = [c.c.status, c.c.outcome, c.c.satisfaction, flag(c.c.replied_at.is_not(None)).label("replied"),
             flag(c.c.rectified_at.is_not(None)).label("done"),
             flag(and_(c.c.rectified_at.is_not(None), day_expr(conn, c.c.rectified_at) <= c.c.rectify_due))
             .label("on_time"),
             flag(c.c.rectify_due < today).label("rectify_past"), flag(c.c.verify_due < today).label("verify_past")]
    stmt = (select(*keys, *flags, func.count().label("n")).select_from(src.from_)
            .where(*filter_conditions(src, filters)).group_by(*keys, *flags))
    frame = _frame(conn.execute(stmt).all(), [k.name for k in keys] + list(CASE_FLAGS) + ["n"])
    for col in CASE_FLAGS[3:]:
        frame[col] = frame[col].astype(bool)
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    frame["n"] = frame["n"].astype("int64")
    return frame


def _frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """A frame from result tuples (much faster than from mappings)."""
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(columns))


def latest_day(conn: Connection, kind: str = "rating") -> date | None:
    """The latest day present in the rollups for records of ``kind``."""
    value = conn.execute(select(func.max(RollupDailyUnit.day)).where(RollupDailyUnit.kind == kind)).scalar()
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))
