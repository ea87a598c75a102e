"""Where statistics are counted from: the rollup and raw-record sources, their dimensions, and the shared filter
set as SQL conditions (with the dialect's day and month expressions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
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
)
from sqlalchemy.sql import ColumnElement, FromClause

from feedback.filters import Filters
from feedback.models import (
    LedgerCase,
    ModelVersion,
    Record,
    RollupDaily,
    RollupDailyChannel,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyChannel,
    RollupMonthlyService,
    RollupMonthlyUnit,
    RollupQuarterly,
    RollupQuarterlyService,
    Score,
)

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "day": ("day",), "month": ("month",), "kind": ("kind",), "dept": ("dept_key", "dept_name"),
    "region": ("region_code",), "channel": ("channel",), "service": ("service_key", "service_name"),
    "level": ("level",), "is_default": ("is_default",), "voided": ("voided",), "sentiment": ("sentiment",),
    "category": ("category",),
}
_FINE_ONLY = {"service", "sentiment", "category"}  # dimensions the small unit table does not keep
_SCORE_DIMS = {"sentiment", "category"}  # what the service tables do not keep
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


def project_flag() -> ColumnElement:
    """1 for a record counted as a 办件 (a first rating with a 办件编号), else 0: one record's ``projects``."""
    r = Record.__table__
    return case((and_(r.c.project_no.is_not(None), func.coalesce(r.c.assess_number, 1) == 1), 1), else_=0)


def hidden_flag() -> ColumnElement:
    """1 for a record whose active score is a hidden complaint, else 0: one record's ``hidden``."""
    return case((Score.__table__.c.hidden_complaint.is_(True), 1), else_=0)


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
    measures = {"n": func.count(), "projects": func.sum(project_flag()), "hidden": func.sum(hidden_flag())}
    return Source(from_, cols, measures, day_expr(conn, r.c.rated_at), ts=r.c.rated_at,
                  text_ts=conn.dialect.name == "sqlite")


def rollup_source(fine: bool) -> Source:
    """The daily fine rollup (with service, sentiment and category) or the daily unit one."""
    return period_source(RollupDaily if fine else RollupDailyUnit, "day")


def period_source(model, period: str) -> Source:
    """A rollup table as a source: its dimension columns, its counts summed, ``period`` (day, month or quarter:
    the first day of it) where the period's bounds apply."""
    t = model.__table__
    return Source(t, {c.name: c for c in t.c if c.name not in ("id", period, "n", "projects", "hidden", "cell")},
                  {m: func.sum(t.c[m]) for m in ("n", "projects", "hidden")}, t.c[period])


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


def rated_conditions(src: Source) -> list[ColumnElement]:
    """A source's rated records: kind rating, with a level (``ratings_only``)."""
    return [src.cols["kind"] == "rating", src.cols["level"].is_not(None)]


_CHANNEL_BY = {"day", "month", "kind", "channel", "level", "is_default", "voided"}  # rollup_daily_channel's


def channel_source() -> Source:
    """rollup_daily_channel: the counts without department and region (``fits_channel``)."""
    return period_source(RollupDailyChannel, "day")


def fits_channel(f: Filters, by: Sequence[str]) -> bool:
    """Whether rollup_daily_channel answers: no filter or split on department, region or a fine dimension."""
    return not (needs_units(f, by) or needs_fine(f, by)) and _CHANNEL_BY.issuperset(by)


def check_by(by: Sequence[str]) -> None:
    unknown = [b for b in by if b not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; known: {', '.join(DIMENSIONS)}")


def needs_fine(f: Filters, by: Sequence[str]) -> bool:
    return bool(f.services or f.categories or f.sentiments or _FINE_ONLY.intersection(by))


def needs_scores(f: Filters, by: Sequence[str]) -> bool:
    """Whether a question names the score's sentiment or category (the service tables cannot answer it)."""
    return bool(f.categories or f.sentiments or _SCORE_DIMS.intersection(by))


def needs_units(f: Filters, by: Sequence[str]) -> bool:
    """Whether a question names a department or a region (the tables without them cannot answer it)."""
    return bool(f.depts or f.regions or {"dept", "region"}.intersection(by))


def month_start(conn: Connection, col: Any) -> ColumnElement:
    """The first day of the month of a date column, as a DATE."""
    if conn.dialect.name == "sqlite":
        return func.date(col, "start of month")
    return cast(func.date_trunc("month", col), Date)


def next_month(d: date) -> date:
    """The first day of the month after ``d``'s month."""
    return add_months(d, 1)


def quarter_start(conn: Connection, month: Any) -> ColumnElement:
    """The first day of the calendar quarter of a month column (its first day), as a DATE."""
    if conn.dialect.name == "sqlite":  # 0-2 months back
        return func.date(month, func.printf("-%d months", (cast(func.strftime("%m", month), Integer) - 1) % 3))
    return cast(func.date_trunc("quarter", month), Date)


def first_of_quarter(d: date) -> date:
    """The first day of ``d``'s calendar quarter."""
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)


def add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``d``'s month."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, 1)


def rollup_parts(f: Filters, fine: bool = False, units: bool = True,
                 quarters: bool = False, scores: bool = True) -> list[tuple[Source, Filters]]:
    """Split the period into edge days (daily table) and whole months (monthly table): the unit tables, or with
    ``fine`` the tables that keep service, sentiment and category (whole months from rollup_monthly_channel when
    ``units`` is False: the question names no department or region; from rollup_monthly_service when ``scores``
    is False: it names neither sentiment nor category). With ``quarters`` (a fine question with units, not split
    by month: the quarters cannot be split), the whole calendar quarters among those months come from
    rollup_quarterly (rollup_quarterly_service without ``scores``), the months before and after them from the
    monthly table."""
    by_service = fine and units and not scores
    monthly_fine = RollupMonthlyService if by_service else RollupMonthly if units else RollupMonthlyChannel
    daily, monthly = rollup_source(fine), period_source(monthly_fine if fine else RollupMonthlyUnit, "month")
    first = f.start if f.start is None or f.start.day == 1 else next_month(f.start)
    last = None if f.end is None else f.end.replace(day=1)  # first day of the last whole month
    if last is not None and next_month(last) - timedelta(days=1) != f.end:
        last = (last - timedelta(days=1)).replace(day=1)
    if first is not None and last is not None and first > last:
        return [(daily, f)]
    quarterly = RollupQuarterlyService if by_service else RollupQuarterly
    parts = _months_or_quarters(monthly, quarterly, f, first, last) if quarters and fine and units else \
        [(monthly, f.with_period(first, last))]
    if f.start is not None and f.start < first:
        parts.append((daily, f.with_period(f.start, first - timedelta(days=1))))
    if f.end is not None and next_month(last) <= f.end:
        parts.append((daily, f.with_period(next_month(last), f.end)))
    return parts


def _months_or_quarters(monthly: Source, quarterly, f: Filters, first: date | None, last: date | None
                        ) -> list[tuple[Source, Filters]]:
    """The whole months first..last (first days) as whole quarters (``quarterly``) and the months around them
    (``monthly``); only the monthly part when no whole quarter lies between (or an end is open)."""
    if first is None or last is None:
        return [(monthly, f.with_period(first, last))]
    q_first = first if first_of_quarter(first) == first else add_months(first_of_quarter(first), 3)
    q_last = first_of_quarter(last) if last.month % 3 == 0 else add_months(first_of_quarter(last), -3)
    if q_first > q_last:
        return [(monthly, f.with_period(first, last))]
    parts = [(period_source(quarterly, "quarter"), f.with_period(q_first, q_last))]
    if first < q_first:
        parts.append((monthly, f.with_period(first, add_months(q_first, -1))))
    if add_months(q_last, 3) <= last:
        parts.append((monthly, f.with_period(add_months(q_last, 3), last)))
    return parts

