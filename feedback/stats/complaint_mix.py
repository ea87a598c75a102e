"""Complaints by category from the daily rollups: the bulletin's category table (bad, hidden, messages, total,
share) without reading a single record, for the dashboard's 总览.

A complaint is a 差评 (non-default rating at level 1-2), a hidden complaint (a rating at level ≥ 3 whose text
complains) or a 12345 message; ratings voided on appeal are left out. The three are disjoint, so a category's
total is their sum — the count ``feedback.bulletin.sections.complaint_section`` gets from the records."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.scoring.taxonomy import Taxonomy
from feedback.stats import queries as stats_queries
from feedback.stats.kpi import BAD_MAX_LEVEL

UNSCORED = "_unscored"  # complaints without a category under the active version (as in the bulletin)
COLUMNS = ["category", "name", "bad", "hidden", "messages", "total", "share", "residual"]
BY = ("category", "kind", "level", "is_default", "voided")


def category_frame(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Rollup counts split by category, kind, level, is_default and voided (the input of ``category_table``)."""
    return stats_queries.counts(conn, filters, BY)


def category_table(frame: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Complaints per category, largest first, 其他问题 and 未分类 last; share in % of all complaints.

    Empty when nothing in the frame carries a category (no active version, or nothing scored yet)."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    valid = ~frame["voided"].astype(bool)
    rating = frame["kind"] == "rating"
    level = pd.to_numeric(frame["level"], errors="coerce").astype("float64")
    parts = pd.DataFrame({
        "category": frame["category"].where(frame["category"].notna(), UNSCORED),
        "bad": frame["n"].where(valid & rating & (level <= BAD_MAX_LEVEL) & ~frame["is_default"].astype(bool), 0),
        "hidden": frame["hidden"].where(valid & rating, 0),
        "messages": frame["n"].where(valid & (frame["kind"] == "message"), 0),
    })
    t = parts.groupby("category", as_index=False).sum().astype({"bad": "int64", "hidden": "int64",
                                                                  "messages": "int64"})
    t["total"] = t["bad"] + t["hidden"] + t["messages"]
    t = t[t["total"] > 0]
    if t.empty or (t["category"] == UNSCORED).all():
        return pd.DataFrame(columns=COLUMNS)
    t["share"] = t["total"] / t["total"].sum() * 100.0
    t["name"] = t["category"].map(lambda c: "未分类" if c == UNSCORED else taxonomy.name(c))
    t["residual"] = t["category"].isin([UNSCORED, taxonomy.other_slug])
    t = t.sort_values(["residual", "total", "category"], ascending=[True, False, True], ignore_index=True)
    return t[COLUMNS]
