"""Read-only SQL for statistics: counts from the daily rollups (or, to check them, raw records), 差评 tag counts
and ledger cases. ``from feedback.stats import queries as stats_queries`` gives every public name:

- sources: the rollup and raw-record sources, dimensions, the filter set as SQL conditions;
- counts: ``counts`` / ``rating_frame`` (the KPI formulas' input) and ``prefetch`` (one frame, summed in pandas);
- tags: 差评 evaluation-tag counts; cases: ledger cases and their KPI flags;
- record: one record's place in the rollups and a keyed row's counts (a correction's incremental update).
"""

from feedback.stats.queries.cases import (
    CASE_COLUMNS,
    CASE_FLAGS,
    EVENT_COLUMNS,
    case_counts,
    case_events,
    case_frame,
    prefetch_cases,
)
from feedback.stats.queries.counts import (
    Prefetch,
    Prefetched,
    batch_days,
    counts,
    latest_day,
    normalise,
    prefetch,
    prefetches,
    rating_frame,
    rating_rows,
    regroup,
    to_frame,
)
from feedback.stats.queries.record import MEASURES, key_conditions, raw_counts, record_state, rollup_counts
from feedback.stats.queries.sources import (
    DIMENSIONS,
    RATING_DIMS,
    Source,
    active_version,
    add_months,
    column,
    day_expr,
    filter_conditions,
    first_of_quarter,
    month_expr,
    month_start,
    next_month,
    quarter_start,
    raw_source,
    rollup_parts,
    rollup_source,
)
from feedback.stats.queries.tags import (
    TAG_DIMS,
    bad_conditions,
    bad_tag_frame,
    bad_tag_rows,
    split_tags,
    tag_counts,
)

__all__ = [
    "CASE_COLUMNS", "CASE_FLAGS", "DIMENSIONS", "EVENT_COLUMNS", "RATING_DIMS", "TAG_DIMS", "Prefetch", "Prefetched", "Source",
    "active_version", "add_months", "bad_conditions", "bad_tag_frame", "batch_days", "bad_tag_rows", "case_counts", "case_events",
    "case_frame", "column", "counts", "day_expr", "filter_conditions", "first_of_quarter", "latest_day", "month_expr", "month_start",
    "next_month", "normalise", "prefetch", "prefetch_cases", "prefetches", "quarter_start", "rating_frame", "rating_rows", "raw_source", "regroup", "rollup_parts", "rollup_source",
    "split_tags", "to_frame", "MEASURES", "key_conditions", "raw_counts", "record_state", "rollup_counts",
    "tag_counts",
]
