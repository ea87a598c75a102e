"""Complaints by category from the daily rollups: the bulletin's category table (bad, hidden, messages, total,
share) without reading a single record, for the dashboard's 总览.

A complaint is a 差评 (non-default rating at level 1-2), a hidden complaint (a rating at level ≥ 3 whose text
complains) or a 12345 message; ratings voided on appeal are left out. The three are disjoint, so a category's
total is their sum — the count ``feedback.bulletin.sections.complaint_section`` gets from the records."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.scoring.taxonomy import Taxonomy
from feedback.stats import queries as stats_queries
from feedback.stats.kpi import BAD_MAX_LEVEL

UNSCORED = "_unscored"  # complaints without a category under the active version (as in the bulletin)
# 12345 messages filed under the taxonomy's 其他问题: the taxonomy has no place for them (city matters: 物业, 噪音,
# 道路 … ``feedback.scoring.messages``). A row of their own, outside the shares: counted with the ratings' 其他问题
# they made it 80 % of the demo month's complaints and every 政务服务 category a few per cent.
OUTSIDE = "_outside_messages"
RESIDUAL_NAMES = {UNSCORED: "未分类", OUTSIDE: "分类外的12345留言"}
OUTSIDE_NOTE = "分类外的12345留言是不属于政务服务问题分类的城市事项留言（如物业、噪音、道路），不计入占比。"
COLUMNS = ["category", "name", "bad", "hidden", "messages", "total", "share", "residual"]
BY = ("category", "kind", "level", "is_default", "voided")


def table_key(category: pd.Series, kind: pd.Series, taxonomy: Taxonomy) -> pd.Series:
    """The category table's row of each complaint: its category; UNSCORED without one; OUTSIDE for a 12345
    message filed as 其他问题. One definition for the 总览 (rollups) and the bulletin (records)."""
    cat = category.where(category.notna(), UNSCORED)
    return cat.where(~((kind.to_numpy() == "message") & (cat.to_numpy() == taxonomy.other_slug)), OUTSIDE)


def finish_table(table: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """A table of category, bad, hidden, messages, total (one row per ``table_key``) with share, name and
    residual, in order: the taxonomy's categories largest first, then 其他问题 and 未分类 (largest first), then the
    messages outside the taxonomy. share = % of the complaints the taxonomy covers (every row but OUTSIDE, whose
    share is empty)."""
    t = table.copy()
    inside = (t["category"] != OUTSIDE).to_numpy()
    base = float(t.loc[inside, "total"].sum())
    t["share"] = np.where(inside, t["total"] / base * 100.0 if base else np.nan, np.nan)
    t["name"] = t["category"].map(lambda c: RESIDUAL_NAMES.get(c) or taxonomy.name(c))
    t["residual"] = t["category"].isin([UNSCORED, OUTSIDE, taxonomy.other_slug])
    t["_order"] = np.where(~inside, 2, t["residual"].astype(int))
    return t.sort_values(["_order", "total", "category"], ascending=[True, False, True],
                         ignore_index=True).drop(columns="_order")


def category_frame(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Rollup counts split by category, kind, level, is_default and voided (the input of ``category_table``)."""
    return stats_queries.counts(conn, filters, BY)


def category_table(frame: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    """Complaints per category in ``finish_table``'s order and shares (12345 messages outside the taxonomy a row
    of their own, last, without a share).

    Empty when nothing in the frame carries a category (no active version, or nothing scored yet)."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    valid = ~frame["voided"].astype(bool)
    rating = frame["kind"] == "rating"
    level = pd.to_numeric(frame["level"], errors="coerce").astype("float64")
    parts = pd.DataFrame({
        "category": table_key(frame["category"], frame["kind"], taxonomy),
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
    return finish_table(t, taxonomy)[COLUMNS]
