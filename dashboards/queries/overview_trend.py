"""The 总览 trend: 评价数, 好评率, 差评率 and 整体平均分 by day, week or month from the rollups, with anomaly marks.

The window is the page's period, stretched back to at least MIN_POINTS buckets so the anomaly baseline has
history (the page shades the period itself)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.stats import kpi
from feedback.stats import queries as stats_queries
from feedback.stats.anomaly import DEFAULT_RULE, AnomalyRule, anomaly_columns

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
    (empty buckets have zero counts and no rates), KPIs of ``kpi.rating_table``, anomaly columns on 差评率.

    Each row's bucket is numbered straight from its distinct day or month, and the KPIs summed into every bucket
    (``kpi.bucket_columns``): no bucket column, grouping or merge of frames."""
    every = buckets(start, end, grain)
    number = {p: i for i, p in enumerate(every)}
    month = "month" in frame.columns
    codes, days = pd.factorize(frame["month" if month else "day"])  # a year of rows has a few hundred days
    starts = [date.fromisoformat(f"{d}-01") if month else bucket_start(d, grain) for d in days]
    bucket = np.array([number.get(p, -1) for p in starts], dtype="int64")[codes] if len(codes) else \
        np.zeros(0, dtype="int64")
    t = kpi.bucket_columns(frame, bucket, len(every), good_includes_basic=good_includes_basic)
    ends = [min(_next(p, grain) - timedelta(days=1), end) for p in every]
    cols = {"period": every, "period_end": ends, **t, **anomaly_columns(t["total"], t["bad"], rule)}
    return pd.DataFrame({c: cols[c] for c in TREND_COLUMNS})


def trend_series(conn: Connection, filters: Filters, grain: str, period: tuple[date, date], *,
                 good_includes_basic: bool = True, rule: AnomalyRule = DEFAULT_RULE) -> pd.DataFrame:
    """The trend of the filters' scope over ``period`` (widened by ``trend_window``), from the rollups."""
    start, end = trend_window(*period, grain)
    by = ("month",) if grain == "month" else ("day",)
    frame = stats_queries.rating_frame(conn, filters.with_period(start, end), by)
    return trend_table(frame, grain, start, end, good_includes_basic=good_includes_basic, rule=rule)
