"""The overview's data in one replaceable function (the KPI module will take over from it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from dashboards.queries.batches import freshness
from dashboards.queries.records import count_records, level_counts
from feedback.filters import Filters


@dataclass(frozen=True)
class Overview:
    total: int  # records (ratings and messages) matching the filters
    levels: pd.DataFrame  # level, level_name, active, default, count
    freshness: dict[str, Any] | None  # last finished batch


def overview_data(conn: Connection, filters: Filters, dept: str | None) -> Overview:
    """Everything the 总览 page shows; ``filters`` already scoped to ``dept``."""
    return Overview(total=count_records(conn, filters), levels=level_counts(conn, filters),
                    freshness=freshness(conn, dept))
