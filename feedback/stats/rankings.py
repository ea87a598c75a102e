"""Rankings shared by the bulletin and the 总览: regions and departments ranked with 红榜 / 黑榜 (the ranking rule,
the ledger's 按时整改率 and the case-mix-adjusted 差评率 on every row), and the services with most 差评."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.regions import region_name, short_code
from feedback.stats import kpi
from feedback.stats import queries as stats_queries

RANK_ORDER = (("avg_score_10", False), ("bad_rate", True), ("active_rate", False), ("total", False))
TOP_SERVICES = 5
# unit → (stats_queries dimension, key column, extra grouping columns)
UNITS = {"region": ("region", "region_code", ()), "dept": ("dept", "dept_key", ("dept_name",))}
COLUMNS = ("rank", "key", "name", "total", "active_rate", "good_rate", "bad", "bad_rate", "expected", "oe_ratio",
           "adjusted_bad_rate", "on_time_rate", "avg_score_10", "avg_score_10_mom", "bad_rate_mom", "total_mom",
           "eligible")


@dataclass(frozen=True)
class Ranking:
    """Units (regions or departments) ranked by ``ranking``, with the case-mix columns, and the two boards."""

    unit: str  # "region" | "dept"
    table: pd.DataFrame  # every unit, ranked ones first
    red: pd.DataFrame  # 红榜: best ``board_size`` ranked units
    black: pd.DataFrame  # 黑榜: worst ``board_size`` ranked units, worst first
    min_volume: int


def ranking(table: pd.DataFrame, key: str, *, min_volume: int = 30, previous: pd.DataFrame | None = None,
            order: Sequence[tuple[str, bool]] = RANK_ORDER) -> pd.DataFrame:
    """Rank units (rows of a ``rating_table`` by ``key``, optionally merged with a ``case_table``).

    Only units with 评价数 ≥ min_volume are ranked (``eligible``); the others follow with rank None. Order: 整体平均分
    desc, then 差评率 asc, 主动评价率 desc, 评价数 desc; units equal on all of these share a rank; the key breaks
    the listing tie. With ``previous`` (the same table a month earlier) the *_mom columns are 环比 (rates in pp,
    平均分 in points, 评价数 in %)."""
    cols, asc = [c for c, _ in order], [a for _, a in order]
    t = table.assign(eligible=table["total"] >= min_volume).sort_values(
        ["eligible", *cols, key], ascending=[False, *asc, True], na_position="last", ignore_index=True)
    eligible = t["eligible"].to_numpy(dtype=bool)
    sig = [tuple(row) for row in t[cols].to_numpy(dtype="float64")[eligible].round(12).tolist()]
    first = {s: i + 1 for i, s in reversed(list(enumerate(sig)))}
    rank: list[int | None] = [None] * len(t)
    for pos, s in zip(np.flatnonzero(eligible).tolist(), sig, strict=True):
        rank[pos] = first[s]
    out = dict(t.items())  # the new columns join in one constructor (inserting them one by one costs more)
    out["rank"] = pd.array(rank, dtype="Int64")
    if previous is not None:
        at = pd.Index(previous[key]).get_indexer(t[key])  # what Series.map does (NaN keys meet NaN keys)

        def prev(col: str) -> np.ndarray:
            v = previous[col].to_numpy(dtype="float64", na_value=np.nan)
            return np.where(at >= 0, v[at], np.nan) if len(v) else np.full(len(t), np.nan)

        for col in ("good_rate", "bad_rate", "avg_score_10"):
            out[f"{col}_mom"] = t[col].to_numpy(dtype="float64", na_value=np.nan) - prev(col)
        base = prev("total")
        total = t["total"].to_numpy(dtype="float64")
        out["total_mom"] = np.divide(total - base, base, out=np.full(len(t), np.nan), where=base > 0) * 100.0
    return pd.DataFrame(out)


def boards(ranked: pd.DataFrame, size: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """红榜 (best ``size`` eligible units) and 黑榜 (worst ``size``, worst first, never a unit on the 红榜)."""
    eligible = ranked[ranked["eligible"]]
    red = eligible.head(size)
    black = eligible.drop(red.index).iloc[::-1].head(size)
    return red.reset_index(drop=True), black.reset_index(drop=True)


def region_label(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A region's display name: from ``names`` (12-digit or short code), else the code without its zero padding."""
    if not code or (isinstance(code, float) and pd.isna(code)):
        return "未标注区划"
    return region_name(code, names or {}) or f"区划{short_code(code)}"


def unit_ranking(conn: Connection, unit: str, month: Filters, previous: Filters, *, today: date,
                 good_includes_basic: bool, min_volume: int, board_size: int,
                 region_names: Mapping[str, str] | None = None,
                 prefetched: stats_queries.Prefetched | None = None) -> Ranking:
    """Every unit of the scope for the month: KPIs, 按时整改率, case-mix columns, rank, 环比; and the boards.

    expected = 差评 the unit would have at the scope's 差评率 of each (事项, 渠道) cell it handles; oe_ratio =
    差评 / expected; adjusted_bad_rate = the scope's 差评率 × oe_ratio (see kpi.case_mix)."""
    dim, key, extra = UNITS[unit]
    by = [key, *extra]
    cur = kpi.rating_table(stats_queries.rating_frame(conn, month, (dim,), prefetched=prefetched), by,
                           good_includes_basic=good_includes_basic)
    prev = kpi.rating_table(stats_queries.rating_frame(conn, previous, (dim,), prefetched=prefetched), by,
                            good_includes_basic=good_includes_basic)
    cases = kpi.case_table(stats_queries.case_counts(conn, month, (dim,), today=today), [key],
                           good_includes_basic=good_includes_basic)
    mix = kpi.case_mix(stats_queries.rating_frame(conn, month, (dim, "service", "channel"), prefetched=prefetched),
                       key)
    table = _joined(cur, key, (cases, ("on_time_rate",)), (mix, ("expected", "oe_ratio", "adjusted_bad_rate")))
    ranked = ranking(table, key, min_volume=min_volume, previous=prev)
    if unit == "region":
        ranked["name"] = ranked[key].map(lambda c: region_label(c, region_names))
    else:
        ranked["name"] = ranked["dept_name"].where(ranked["dept_name"].notna(), ranked[key]).fillna("未标注部门")
    ranked = ranked.rename(columns={key: "key"})
    for col in COLUMNS:
        if col not in ranked:
            ranked[col] = None
    out = kpi.round_frame(ranked[list(COLUMNS)])
    red, black = boards(out, board_size)
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


def top_services(frame: pd.DataFrame, n: int = 5, *, good_includes_basic: bool = True) -> pd.DataFrame:
    """The ``n`` services with most 差评 (frame split by service); ties by 差评率 then key. Only services with 差评."""
    t = kpi.rating_table(frame, ["service_key", "service_name"], good_includes_basic=good_includes_basic)
    t = t[t["bad"] > 0].sort_values(["bad", "bad_rate", "service_key"], ascending=[False, False, True])
    return t.head(n).reset_index(drop=True)


def service_table(conn: Connection, cur: Filters, prev: Filters, gib: bool, n: int = TOP_SERVICES, *,
                  prefetched: stats_queries.Prefetched | None = None) -> pd.DataFrame:
    """The ``n`` services with most 差评 in ``cur`` (``top_services``) and their 差评 in ``prev`` (bad_prev);
    the bulletin and the 总览 show this table."""
    top = top_services(stats_queries.rating_frame(conn, cur, ("service",), prefetched=prefetched), n,
                       good_includes_basic=gib)
    if top.empty:
        return top.assign(bad_prev=pd.Series(dtype="int64"))
    old = kpi.rating_table(stats_queries.rating_frame(conn, prev.with_period(prev.start, prev.end), ("service",),
                                                      prefetched=prefetched),
                           ["service_key"], good_includes_basic=gib).set_index("service_key")["bad"]
    return top.assign(bad_prev=top["service_key"].map(old).fillna(0).astype("int64"))
