"""The overview's data in one function: record counts by level, freshness, and the month's KPIs with 环比 / 同比."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from dashboards.queries.batches import freshness
from dashboards.queries.records import count_records, level_counts
from feedback import kpi
from feedback.filters import Filters

# The headline cards, in order: key, Chinese label, kind (rate in %, count, or 10-point score).
KPI_CARDS: tuple[tuple[str, str, str], ...] = (
    ("total", "评价数", "count"),
    ("active_rate", "主动评价率", "rate"),
    ("good_rate", "好评率", "rate"),
    ("bad", "差评数", "count"),
    ("bad_rate", "差评率", "rate"),
    ("avg_score_10", "整体平均分", "score"),
    ("hidden_complaints", "隐性投诉", "count"),
)


@dataclass(frozen=True)
class Overview:
    total: int  # records (ratings and messages) matching the filters
    levels: pd.DataFrame  # level, level_name, active, default, count
    freshness: dict[str, Any] | None  # last finished batch
    kpis: dict[str, Any] | None = None  # kpi.month_kpis of the month shown (None without rollups)


def overview_data(conn: Connection, filters: Filters, dept: str | None, *, good_includes_basic: bool = True,
                  now: datetime | None = None) -> Overview:
    """Everything the 总览 page shows; ``filters`` already scoped to ``dept``. The KPI month is the month of the
    filter's end date, else the latest month in the data — the same function `haocha kpi` uses."""
    month = filters.end.strftime("%Y-%m") if filters.end else kpi.latest_month(conn)
    kpis = None
    if month:
        kpis = kpi.display(kpi.month_kpis(conn, month, filters, as_of=now or datetime.now(),
                                          good_includes_basic=good_includes_basic))
    return Overview(total=count_records(conn, filters), levels=level_counts(conn, filters),
                    freshness=freshness(conn, dept), kpis=kpis)
