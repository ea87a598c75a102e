"""Rankings of regions and departments for the bulletin: kpi.ranking + kpi.boards, with the ledger's 按时整改率
and the case-mix-adjusted 差评率 (kpi.case_mix) on every row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from feedback.bulletin.model import Ranking, round_frame
from feedback.filters import Filters
from feedback.regions import region_name, short_code
from feedback.stats import kpi
from feedback.stats import queries as stats_queries

# unit → (stats_queries dimension, key column, extra grouping columns)
UNITS = {"region": ("region", "region_code", ()), "dept": ("dept", "dept_key", ("dept_name",))}
COLUMNS = ("rank", "key", "name", "total", "active_rate", "good_rate", "bad", "bad_rate", "expected", "oe_ratio",
           "adjusted_bad_rate", "on_time_rate", "avg_score_10", "avg_score_10_mom", "bad_rate_mom", "total_mom",
           "eligible")


def region_label(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A region's display name: from ``names`` (12-digit or short code), else the code without its zero padding."""
    if not code or (isinstance(code, float) and pd.isna(code)):
        return "未标注区划"
    return region_name(code, names or {}) or f"区划{short_code(code)}"


def unit_ranking(conn: Connection, unit: str, month: Filters, previous: Filters, *, today: date,
                 good_includes_basic: bool, min_volume: int, board_size: int,
                 region_names: Mapping[str, str] | None = None) -> Ranking:
    """Every unit of the scope for the month: KPIs, 按时整改率, case-mix columns, rank, 环比; and the boards.

    expected = 差评 the unit would have at the scope's 差评率 of each (事项, 渠道) cell it handles; oe_ratio =
    差评 / expected; adjusted_bad_rate = the scope's 差评率 × oe_ratio (see kpi.case_mix)."""
    dim, key, extra = UNITS[unit]
    by = [key, *extra]
    cur = kpi.rating_table(stats_queries.rating_frame(conn, month, (dim,)), by,
                           good_includes_basic=good_includes_basic)
    prev = kpi.rating_table(stats_queries.rating_frame(conn, previous, (dim,)), by,
                            good_includes_basic=good_includes_basic)
    cases = kpi.case_table(stats_queries.case_counts(conn, month, (dim,), today=today), [key],
                           good_includes_basic=good_includes_basic)
    mix = kpi.case_mix(stats_queries.rating_frame(conn, month, (dim, "service", "channel")), key)
    table = _joined(cur, key, (cases, ("on_time_rate",)), (mix, ("expected", "oe_ratio", "adjusted_bad_rate")))
    ranked = kpi.ranking(table, key, min_volume=min_volume, previous=prev)
    if unit == "region":
        ranked["name"] = ranked[key].map(lambda c: region_label(c, region_names))
    else:
        ranked["name"] = ranked["dept_name"].where(ranked["dept_name"].notna(), ranked[key]).fillna("未标注部门")
    ranked = ranked.rename(columns={key: "key"})
    for col in COLUMNS:
        if col not in ranked:
            ranked[col] = None
    out = round_frame(ranked[list(COLUMNS)])
    red, black = kpi.boards(out, board_size)
    return Ranking(unit=unit, table=out, red=red, black=black, min_volume=min_volume)


def _joined(left: pd.DataFrame, key: str, *others: tuple[pd.DataFrame, tuple[str, ...]]) -> pd.DataFrame:
    """``left`` with float columns looked up from other tables by ``key`` (unique there; NaN where a unit has
    no row): a left merge on the key, done as index lookups and one constructor."""
    out = dict(left.items())
    keys = left[key]
    for other, cols in others:
        at = pd.Index(other[key]).get_indexer(keys)  # NaN keys meet NaN keys, as in a merge
        for col in cols:
            values = pd.to_numeric(other[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            out[col] = np.where(at >= 0, values[at], np.nan) if len(values) else np.full(len(left), np.nan)
    return pd.DataFrame(out)


def unit_changes(conn: Connection, month: Filters, previous: Filters,
                 region_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """差评 per (region, department) this month and last, largest increase first: where a change happened."""
    def bad(f: Filters) -> pd.DataFrame:
        t = kpi.rating_table(stats_queries.rating_frame(conn, f, ("region", "dept")),
                             ["region_code", "dept_key", "dept_name"])
        return t[["region_code", "dept_key", "dept_name", "bad", "total"]]

    cur, old = bad(month), bad(previous)
    both = cur.merge(old, on=["region_code", "dept_key"], how="outer",
                     suffixes=("", "_prev"))
    both[["bad", "bad_prev", "total", "total_prev"]] = both[["bad", "bad_prev", "total", "total_prev"]].fillna(0)
    both["delta"] = both["bad"] - both["bad_prev"]
    both["region_name"] = both["region_code"].map(lambda c: region_label(c, region_names))
    both["dept_name"] = both["dept_name"].fillna(both["dept_name_prev"]).fillna(both["dept_key"]).fillna("未标注部门")
    return both.sort_values(["delta", "bad", "dept_key"], ascending=[False, False, True], ignore_index=True)
