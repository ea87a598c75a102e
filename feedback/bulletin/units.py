"""Where 差评 changed between two months, by region and department, for the bulletin's 存在问题 (the rankings
themselves are feedback.stats.rankings, shared with the 总览)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.stats import kpi
from feedback.stats import queries as stats_queries
from feedback.stats.rankings import region_label


def unit_changes(conn: Connection, month: Filters, previous: Filters,
                 region_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """差评 per (region, department) this month and last, largest increase first: where a change happened."""
    def bad(f: Filters) -> pd.DataFrame:
        t = kpi.rating_table(stats_queries.rating_frame(conn, f, ("region", "dept")), ["region_code", "dept_key"],
                             names=["dept_name"])  # a renamed department stays one row
        return t[["region_code", "dept_key", "dept_name", "bad", "total"]]

    cur, old = bad(month), bad(previous)
    both = cur.merge(old, on=["region_code", "dept_key"], how="outer",
                     suffixes=("", "_prev"))
    both[["bad", "bad_prev", "total", "total_prev"]] = both[["bad", "bad_prev", "total", "total_prev"]].fillna(0)
    both["delta"] = both["bad"] - both["bad_prev"]
    both["region_name"] = both["region_code"].map(lambda c: region_label(c, region_names))
    both["dept_name"] = both["dept_name"].fillna(both["dept_name_prev"]).fillna(both["dept_key"]).fillna("未标注部门")
    return both.sort_values(["delta", "bad", "dept_key"], ascending=[False, False, True], ignore_index=True)
