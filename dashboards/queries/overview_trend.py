"""The 总览 trend: 评价数, 好评率, 差评率 and 整体平均分 by day, week or month from the rollups, with anomaly marks.

The window is the page's period, stretched back to at least MIN_POINTS buckets so the anomaly baseline has
history (the page shades the period itself)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.stats import kpi
from feedback.stats import queries as stats_queries
from feedback.stats.anomaly import DEFAULT_RULE, AnomalyRule, mark_anomalies

GRAINS = {"day": "按日", "week": "按周", "month": "按月"}
MIN_POINTS = {"day": 30, "week": 12, "month": 12}
TREND_COLUMNS = ["period", "period_end", "total", "active_total", "good_rate", "bad", "bad_rate", "avg_score_10",
                 "hidden_complaints", "baseline_rate", "expected_bad", "z", "anomaly", "reason"]


def bucket_start(d: date, grain: str) -> date:
    """The first day of the bucket holding ``d``: the day, the Monday of its week, or the 1st of its month."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    raise ValueError(f"grain '{grain}' is not one of {', '.join(GRAINS)}")


def _next(d: date, grain: str) -> date:
    if grain == "day":
        return d + timedelta(days=1)
    if grain == "week":
        return d + timedelta(days=7)
    return stats_queries.next_month(d)


def trend_window(start: date, end: date, grain: str) -> tuple[date, date]:
    """[start, end] widened to whole buckets and back to at least MIN_POINTS buckets ending with ``end``'s."""
    first = bucket_start(start, grain)
    back = bucket_start(end, grain)
    for _ in range(MIN_POINTS[grain] - 1):
        back = bucket_start(back - timedelta(days=1), grain)
    return min(first, back), end


def buckets(start: date, end: date, grain: str) -> list[date]:
    out, d = [], bucket_start(start, grain)
    while d <= end:
        out.append(d)
        d = _next(d, grain)
    return out


def trend_table(frame: pd.DataFrame, grain: str, start: date, end: date, *, good_includes_basic: bool = True,
                rule: AnomalyRule = DEFAULT_RULE) -> pd.DataFrame:
    """Pure: a rating frame split by ``day`` (or ``month`` 'YYYY-MM') → one row per bucket of [start, end]
    (empty buckets have zero counts and no rates), KPIs of ``kpi.rating_table``, anomaly columns on 差评率."""
    f = frame.copy()
    if "month" in f.columns:
        f["period"] = f["month"].map(lambda m: date.fromisoformat(f"{m}-01"))
    else:
        f["period"] = f["day"].map(lambda d: bucket_start(d, grain))
    every = pd.DataFrame({"period": buckets(start, end, grain)})
    if f.empty:
        t = every.assign(**{c: 0 for c in ("total", "active_total", "bad", "hidden_complaints")})
        for c in ("good_rate", "bad_rate", "avg_score_10"):
            t[c] = float("nan")
    else:
        t = kpi.rating_table(f, ["period"], good_includes_basic=good_includes_basic)
        t = every.merge(t, on="period", how="left")
        for c in ("total", "active_total", "bad", "hidden_complaints"):
            t[c] = t[c].fillna(0).astype("int64")
    t["period_end"] = [min(_next(p, grain) - timedelta(days=1), end) for p in t["period"]]
    t = mark_anomalies(t, rule)
    return t[TREND_COLUMNS]


def trend_series(conn: Connection, filters: Filters, grain: str, period: tuple[date, date], *,
                 good_includes_basic: bool = True, rule: AnomalyRule = DEFAULT_RULE) -> pd.DataFrame:
    """The trend of the filters' scope over ``period`` (widened by ``trend_window``), from the rollups."""
    start, end = trend_window(*period, grain)
    by = ("month",) if grain == "month" else ("day",)
    frame = stats_queries.rating_frame(conn, filters.with_period(start, end), by)
    return trend_table(frame, grain, start, end, good_includes_basic=good_includes_basic, rule=rule)
