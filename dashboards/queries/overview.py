"""The 总览 page and GET /api/v1/overview in one function: the month's KPIs with 环比 / 同比, the trend with
anomaly marks, channels, levels (default vs active), region and department rankings with 红榜 / 黑榜, complaint
categories, top 差评 services and tags, and the data-freshness line.

Every figure comes from the daily rollups through the functions the bulletin uses (feedback.stats: periods, kpi,
rankings), so the screen, the API, `haocha kpi` and the bulletin agree to the digit; only the ledger KPIs (and
the rankings' 按时整改率) stay live here, as of now, where `haocha kpi` and the bulletin freeze a past month's at
its end."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from dashboards.queries.batches import freshness
from dashboards.queries.beside import Opener, beside
from dashboards.queries.overview_trend import GRAINS, trend_series
from feedback.clock import local_now
from feedback.filters import Filters
from feedback.regions import region_names
from feedback.scoring.taxonomy import Taxonomy, load_taxonomy, taxonomy_of
from feedback.settings import Settings
from feedback.stats import kpi, periods, spec
from feedback.stats import queries as stats_queries
from feedback.stats.complaint_mix import OUTSIDE, UNSCORED, category_frame, category_table
from feedback.stats.formats import plain
from feedback.stats.kpi import round_frame
from feedback.stats.rankings import Ranking, RankRule, service_table, unit_ranking

KPI_CARDS = spec.CARDS  # the headline cards, in order: key, Chinese label, kind (rate, count or score)
TOP_SERVICES, TOP_TAGS = 10, 5


@dataclass(frozen=True)
class Overview:
    total: int  # records (ratings and messages) matching the filters in the period
    levels: pd.DataFrame  # level, level_name, active, default, count, shares, records_query
    freshness: dict[str, Any] | None  # last finished batch
    kpis: dict[str, Any] | None = None  # kpi.display(periods.span_kpis(...)) of the period (a whole month: month_kpis)
    period: tuple[date, date] | None = None  # what every section but the trend covers
    grain: str = "week"
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    channels: pd.DataFrame = field(default_factory=pd.DataFrame)
    regions: Ranking | None = None
    depts: Ranking | None = None
    categories: pd.DataFrame = field(default_factory=pd.DataFrame)
    services: pd.DataFrame = field(default_factory=pd.DataFrame)
    tags: pd.DataFrame = field(default_factory=pd.DataFrame)
    filters: Filters = field(default_factory=Filters)  # scoped, with the period

    def as_json(self) -> dict[str, Any]:
        """The API body: the same frames as the page, NaN as None, dates as ISO strings."""
        out = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)
               if f.name not in ("filters", "period")}
        out["period"] = None if self.period is None else {"start": self.period[0].isoformat(),
                                                          "end": self.period[1].isoformat()}
        out["filters"] = [list(p) for p in self.filters.to_query_args()]
        return out


_TAXONOMIES: dict[tuple[str, str], Taxonomy] = {}


def cached_taxonomy(settings: Settings) -> Taxonomy:
    """The scoring taxonomy of the settings, parsed once per process (it only changes with a new deployment)."""
    key = (str(getattr(getattr(settings, "scoring", None), "taxonomy", "") or ""), str(settings.base_dir))
    if key not in _TAXONOMIES:
        _TAXONOMIES[key] = taxonomy_of(settings)
    return _TAXONOMIES[key]


def records_query(filters: Filters, **changes: Any) -> str:
    """The query string of the 评价明细 explorer showing the records behind a mark (same filter names)."""
    return filters.query_string(**changes)


BAD_LEVELS = tuple(sorted(kpi.BAD_LEVELS))  # the levels of 差评 (不满意, 非常不满意)


def bad_query(filters: Filters, **changes: Any) -> str:
    """The explorer's query string of the 差评 behind a rate (levels 1-2 of ``filters`` narrowed by ``changes``):
    the drill-down of every 差评率 mark, so a click answers "which 差评?" rather than listing every rating."""
    return records_query(filters, kinds=("rating",), levels=BAD_LEVELS, **changes)


def small_sample(totals: pd.Series, min_volume: int) -> pd.Series:
    """True where a bucket has fewer than ``min_volume`` ratings (样本少: greyed, kept off rate axes)."""
    return pd.to_numeric(totals, errors="coerce").fillna(0) < min_volume


def overview_period(conn: Connection, filters: Filters) -> tuple[date, date] | None:
    """The filters' dates; an open end is the latest rating day, an open start the 1st of the end's month."""
    end = filters.end or stats_queries.latest_day(conn)
    if end is None:
        return None
    start = filters.start or end.replace(day=1)
    return (start, end) if start <= end else (start, start)


# The longest period one request may cover, by trend grain: a day-grain trend over 400 days is already 400
# points; ten years is the limit at any grain (the work of a request stays bounded whatever the URL says).
MAX_PERIOD_DAYS = {"day": 400, "week": 3653, "month": 3653}


def period_error(conn: Connection, filters: Filters, grain: str) -> str | None:
    """A Chinese message when the period the filters resolve to is longer than MAX_PERIOD_DAYS allows for
    ``grain``; None when it may be computed."""
    period = overview_period(conn, filters)
    limit = MAX_PERIOD_DAYS.get(grain)
    if period is None or limit is None:
        return None
    days = (period[1] - period[0]).days + 1
    if days <= limit:
        return None
    hint = "请缩短时间范围，或按周、按月查看趋势" if grain == "day" else "请缩短时间范围"
    return (f"时间范围过长：{period[0].isoformat()} 至 {period[1].isoformat()} 共 {days:,} 天，"
            f"按{GRAIN_NAMES.get(grain, grain)}查看最多 {limit:,} 天；{hint}")


GRAIN_NAMES = {"day": "日", "week": "周", "month": "月"}

# Periods longer than this read the sections apart from the prefetched frame on a second connection (PostgreSQL):
# the frame of a long period is one large GROUP BY in the database, which the other sections' statements and
# tables can overlap (10M ratings: a year −30 to −40 ms, three months by day −15 to −25 ms; with the earlier
# periods' frames beside it too, a further −20 ms); a month's frame is quick, and there the second thread and
# connection cost more (+5 to +15 ms) than they save (docs/performance.md).
BESIDE_MIN_DAYS = 45


def overview_data(conn: Connection, filters: Filters, dept: str | None, *, good_includes_basic: bool = True,
                  now: datetime | None = None, grain: str = "week", settings: Settings | None = None,
                  open_beside: Opener | None = None) -> Overview:
    """Everything the 总览 page shows; ``filters`` already scoped to ``dept``. The KPI cards cover the period; for
    a whole calendar month they are `haocha kpi --month`'s figures (the same function), the ledger KPIs live.

    With ``open_beside`` (PostgreSQL; ``dashboards.pages.common.beside_opener``) and a period longer than
    BESIDE_MIN_DAYS, the sections that do not need the period's prefetched frame (data freshness, the total, the
    trend, the complaint categories, the 差评 tags) and the previous and year-earlier periods' frames are read on a
    second connection while this one fetches that frame; the result is the same either way."""
    if grain not in GRAINS:
        raise ValueError(f"grain '{grain}' is not one of {', '.join(GRAINS)}")
    period = overview_period(conn, filters)
    if period is None:
        return Overview(total=0, levels=_levels(pd.DataFrame(), filters), freshness=freshness(conn, dept),
                        grain=grain, filters=filters)
    gib = settings.kpi.good_includes_basic if settings else good_includes_basic
    as_of = now or local_now(settings.ingest.timezone if settings else "Asia/Shanghai")
    cur = filters.with_period(*period)
    prev = filters.with_period(*kpi.shift_period(*period, -1))
    year_ago = filters.with_period(*kpi.shift_period(*period, -12))
    floor = settings.kpi.chart_min_volume if settings else 30
    taxonomy = cached_taxonomy(settings) if settings else load_taxonomy()

    def apart(c: Connection) -> _Apart:
        # The previous period's and the year-earlier one's ratings (the unit rollups) and ledger cases by region
        # and department give the 环比 / 同比 of the cards and the rankings.
        return _Apart(fresh=freshness(c, dept), total=int(stats_queries.counts(c, cur)["n"].sum()),
                      trend=_trend(c, filters, grain, period, gib, floor), categories=_categories(c, cur, taxonomy),
                      tags=round_frame(kpi.top_tags(stats_queries.bad_tag_frame(c, cur), TOP_TAGS)),
                      earlier=tuple(stats_queries.prefetch_cases(c, stats_queries.prefetch(c, f, ("region", "dept")),
                                                                 as_of.date()) for f in (prev, year_ago)))

    long_period = (period[1] - period[0]).days + 1 > BESIDE_MIN_DAYS
    with beside(conn, open_beside if long_period else None, apart) as sections:
        # The period's ratings by region, department, service and channel, fetched once: the KPI month (when it
        # is the period), channels, both rankings with their case-mix and the top services sum them in pandas,
        # and the ledger's cases by region and department the KPI cards and both rankings' 按时整改率. The
        # earlier periods' frames come from ``apart``, read meanwhile on the second connection of a long period.
        current = stats_queries.prefetch_cases(conn, stats_queries.prefetch(conn, cur, ("region", "dept", "service",
                                                                                   "channel")), as_of.date())
        # the previous period's ratings by service (the top services' 差评 a period earlier) here: the frame
        # by cell (stats_queries.cells) leaves this connection the lighter of the two (docs/performance.md)
        earlier_services = stats_queries.prefetch(conn, prev, ("service",))
        side = sections()
        pre = (current, *side.earlier, earlier_services)
        kpis = kpi.display(periods.span_kpis(conn, *_kpi_span(filters, period), filters, as_of=as_of,
                                             good_includes_basic=gib, prefetched=pre))
        frame, factorised = stats_queries.rating_rows(conn, cur, ("channel",), prefetched=pre)
        rule = RankRule.from_settings(settings.kpi) if settings else RankRule()
        names = region_names(settings) if settings else {}
        ranks = {u: unit_ranking(conn, u, cur, prev, as_of=as_of, good_includes_basic=gib, rule=rule,
                                 region_names=names, prefetched=pre, year_ago=year_ago)
                 for u in ("region", "dept")}
        services = _services(conn, cur, prev, gib, pre)
    return Overview(
        total=side.total, levels=_levels(frame, cur), freshness=side.fresh, kpis=kpis, period=period, grain=grain,
        trend=side.trend, channels=_channels(frame, cur, gib, floor, factorised),
        regions=_linked_ranking(ranks["region"], cur, "regions", floor),
        depts=_linked_ranking(ranks["dept"], cur, "depts", floor),
        categories=side.categories, services=services, tags=side.tags, filters=cur,
    )


@dataclass(frozen=True)
class _Apart:
    """The overview's sections read apart from the period's prefetched frame (``overview_data``)."""

    fresh: dict[str, Any] | None
    total: int
    trend: pd.DataFrame
    categories: pd.DataFrame
    tags: pd.DataFrame
    earlier: tuple[stats_queries.Prefetched, ...]  # previous and year-earlier periods by unit, for ``pre``


def _kpi_span(filters: Filters, period: tuple[date, date]) -> tuple[date, date]:
    """The span of the KPI cards: the period; an open end (the latest rating day) from the 1st of its month is
    that whole month — no rating lies after it — so the default view shows the month's bulletin figures."""
    start, end = period
    if filters.end is None and start.day == 1 and (start.year, start.month) == (end.year, end.month):
        return kpi.month_bounds(end.strftime("%Y-%m"))
    return period


def _levels(frame: pd.DataFrame, cur: Filters) -> pd.DataFrame:
    """kpi.level_distribution in the page's shape (level_name, count) with each level's records link."""
    if frame.empty:
        frame = pd.DataFrame({"level": pd.array([5], dtype="Int64"), "is_default": [False], "voided": [False],
                              "n": [0]})
    t = round_frame(kpi.level_distribution(frame)).rename(columns={"name": "level_name", "total": "count"})
    t["records_query"] = [records_query(cur, levels=(int(lv),), kinds=("rating",)) for lv in t["level"]]
    return t


def _trend(conn: Connection, filters: Filters, grain: str, period: tuple[date, date], gib: bool,
           floor: int = 0) -> pd.DataFrame:
    t = round_frame(trend_series(conn, filters, grain, period, good_includes_basic=gib))
    spans = list(zip(t["period"], t["period_end"], strict=True))
    t["records_query"] = [records_query(filters, start=s, end=e, kinds=("rating",)) for s, e in spans]
    t["bad_records_query"] = [bad_query(filters, start=s, end=e) for s, e in spans]
    t["small"] = small_sample(t["total"], floor)
    return t


def _channels(frame: pd.DataFrame, cur: Filters, gib: bool, floor: int = 0,
              factorised: dict | None = None) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["channel", "channel_name", *kpi.RATING_COLUMNS, "share", "records_query",
                                     "bad_records_query", "small"])
    t = round_frame(kpi.channel_table(frame, good_includes_basic=gib, factorised=factorised))
    t["channel_name"] = t["channel_name"].fillna(t["channel"])
    t["records_query"] = [records_query(cur, channels=(c,), kinds=("rating",)) for c in t["channel"]]
    t["bad_records_query"] = [bad_query(cur, channels=(c,)) for c in t["channel"]]
    t["small"] = small_sample(t["total"], floor)
    return t


def _linked_ranking(r: Ranking, cur: Filters, field_name: str, floor: int = 0) -> Ranking:
    def links(frame: pd.DataFrame) -> tuple[list[str | None], list[str | None]]:
        keys = [None if k is None or pd.isna(k) else k for k in frame["key"].tolist()]
        return ([None if k is None else records_query(cur, **{field_name: (k,)}) for k in keys],
                [None if k is None or not b else bad_query(cur, **{field_name: (k,)})
                 for k, b in zip(keys, frame["bad"].fillna(0).tolist(), strict=True)])

    def linked(frame: pd.DataFrame, records: list[str | None], bad: list[str | None]) -> pd.DataFrame:
        out = frame.copy()
        out["records_query"] = records
        out["bad_records_query"] = bad
        out["small"] = small_sample(out["total"], floor)
        return out

    return dataclasses.replace(r, table=linked(r.table, *links(r.table)), red=linked(r.red, *links(r.red)),
                               black=linked(r.black, *links(r.black)))


def _categories(conn: Connection, cur: Filters, taxonomy: Taxonomy) -> pd.DataFrame:
    t = round_frame(category_table(category_frame(conn, cur), taxonomy))
    # each stacked segment opens what it counts: the 差评, the hidden complaints, the messages of the category;
    # the messages outside the taxonomy are the messages filed as other; an unscored row has no link
    links: dict[str, list[str | None]] = {"records": [], "bad": [], "hidden": [], "messages": []}
    for c in t["category"]:
        if c == UNSCORED:
            row = dict.fromkeys(links)
        elif c == OUTSIDE:
            q = records_query(cur, categories=(taxonomy.other_slug,), kinds=("message",))
            row = {"records": q, "bad": None, "hidden": None, "messages": q}
        else:
            row = {"records": records_query(cur, categories=(c,)), "bad": bad_query(cur, categories=(c,)),
                   "hidden": records_query(cur, categories=(c,), kinds=("rating",)) + "&hidden=1",
                   "messages": records_query(cur, categories=(c,), kinds=("message",))}
        for k, v in row.items():
            links[k].append(v)
    t["records_query"] = links["records"]
    for k in ("bad", "hidden", "messages"):
        t[f"{k}_records_query"] = links[k]
    return t


def _services(conn: Connection, cur: Filters, prev: Filters, gib: bool,
              pre: stats_queries.Prefetch) -> pd.DataFrame:
    t = round_frame(service_table(conn, cur, prev, gib, TOP_SERVICES, prefetched=pre))
    t["records_query"] = [records_query(cur, services=(k,), kinds=("rating",), levels=(1, 2))
                          for k in t["service_key"]]
    return t
