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

    Empty when nothing in the frame carries a category (no active version, or nothing scored yet). The rows'
    ``table_key`` and the sums are taken on arrays and the table built in one constructor: the figures, order
    and dtypes of ``finish_table`` over a groupby of the parts (a test holds the two equal)."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    kind = frame["kind"].to_numpy(dtype=object)
    rating, message = kind == "rating", kind == "message"
    key = np.where(frame["category"].isna().to_numpy(), UNSCORED, frame["category"].to_numpy(dtype=object))
    key[message & (key == taxonomy.other_slug)] = OUTSIDE
    valid = ~frame["voided"].to_numpy(dtype=bool)
    level = frame["level"].to_numpy(dtype="float64", na_value=np.nan)
    n = frame["n"].to_numpy(dtype="int64")
    parts = {"bad": np.where(valid & rating & (level <= BAD_MAX_LEVEL) & ~frame["is_default"].to_numpy(dtype=bool),
                             n, 0),
             "hidden": np.where(valid & rating, frame["hidden"].to_numpy(dtype="int64"), 0),
             "messages": np.where(valid & message, n, 0)}
    categories, inverse = np.unique(key, return_inverse=True)  # sorted, as groupby sorts its keys
    sums = {k: np.bincount(inverse.reshape(-1), weights=v.astype("float64"), minlength=len(categories))
            .astype("int64") for k, v in parts.items()}
    total = sums["bad"] + sums["hidden"] + sums["messages"]
    kept = total > 0
    if not kept.any() or (categories[kept] == UNSCORED).all():
        return pd.DataFrame(columns=COLUMNS)
    return _finished(categories[kept].tolist(), {k: v[kept] for k, v in sums.items()}, total[kept], taxonomy)


def _finished(categories: list[str], sums: dict[str, np.ndarray], total: np.ndarray,
              taxonomy: Taxonomy) -> pd.DataFrame:
    """``finish_table(...)[COLUMNS]`` of the summed categories (sorted keys), built in one constructor."""
    inside = np.array([c != OUTSIDE for c in categories])
    base = float(total[inside].sum())
    share = np.where(inside, total / base * 100.0 if base else np.nan, np.nan)
    residual = [c in (UNSCORED, OUTSIDE, taxonomy.other_slug) for c in categories]
    order = np.where(~inside, 2, np.array(residual, dtype=int))
    at = np.lexsort((np.arange(len(categories)), -total, order))  # the keys are sorted: their position orders them
    names = [RESIDUAL_NAMES.get(c) or taxonomy.name(c) for c in categories]
    return pd.DataFrame({
        "category": pd.array([categories[i] for i in at], dtype="str"),
        "name": pd.array([names[i] for i in at], dtype="str"),
        **{k: sums[k][at] for k in ("bad", "hidden", "messages")}, "total": total[at], "share": share[at],
        "residual": np.array(residual, dtype=bool)[at]})
