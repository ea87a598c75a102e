"""Rankings shared by the bulletin and the 总览: regions and departments ranked with 红榜 / 黑榜 (the ranking rule,
the ledger's 按时整改率 and the case-mix-adjusted 差评率 on every row), and the services with most 差评."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.regions import region_name, short_code
from feedback.stats import kpi, periods
from feedback.stats import queries as stats_queries
from feedback.stats.case_mix import case_mix

RANK_ORDER = (("avg_score_10", False), ("bad_rate", True), ("active_rate", False), ("total", False))
# The ranking metrics of ``[kpi] ranking_metric``: the sort order (column, ascending) and how the caption says it.
# adjusted_bad_rate: a unit without case-mix figures (no 差评 anywhere in the scope) sorts on its 差评率, which the
# ``rank_key`` column holds in its place.
METRIC_ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "adjusted_bad_rate": (("rank_key", True), ("bad_rate", True), ("avg_score_10", False), ("total", False)),
    "bad_rate": (("bad_rate", True), ("avg_score_10", False), ("active_rate", False), ("total", False)),
    "mean_score": RANK_ORDER,
}
METRIC_WORDS = {
    "adjusted_bad_rate": "调整后差评率（按事项与渠道结构调整）由低到高",
    "bad_rate": "差评率由低到高",
    "mean_score": "整体平均分由高到低（同分时差评率低者在前）",
}
TOP_SERVICES = 5
# unit → (stats_queries dimension, key column, extra grouping columns)
UNITS = {"region": ("region", "region_code", ()), "dept": ("dept", "dept_key", ("dept_name",))}
COLUMNS = ("rank", "key", "name", "total", "active_rate", "good_rate", "bad", "bad_rate", "expected", "oe_ratio",
           "adjusted_bad_rate", "on_time_rate", "avg_score_10", "avg_score_10_mom", "bad_rate_mom", "total_mom",
           "eligible", "good_rate_mom", "good_rate_yoy", "bad_rate_yoy")


@dataclass(frozen=True)
class RankRule:
    """Who is ranked and on what (``[kpi]`` ranking_metric, min_ranking_volume, black_requires_bad, board_size,
    black_requires_excess).

    Only units with 评价数 ≥ ``min_volume`` are ranked; the 红榜 holds the best ``board_size`` of them; the 黑榜 the
    worst ``board_size`` of those not on the 红榜 — with ``black_requires_bad``, only units with at least one 差评
    (a unit nobody rated 不满意 is never sent to 督办); with ``black_requires_excess``, only units with more 差评
    than the services and channels they handle predict (实际/预期 > 1): in a month with few 差评 the last five
    with any 差评 can include a unit better than expected, which a 黑榜 would blame for being average."""

    metric: str = "adjusted_bad_rate"
    min_volume: int = 30
    black_requires_bad: bool = True
    board_size: int = 5
    black_requires_excess: bool = True

    def __post_init__(self) -> None:
        if self.metric not in METRIC_ORDERS:
            raise ValueError(f"ranking metric '{self.metric}' is not one of {', '.join(METRIC_ORDERS)}")

    @classmethod
    def from_settings(cls, kpi_settings) -> RankRule:
        """The rule of a ``KpiSettings``."""
        return cls(metric=kpi_settings.ranking_metric, min_volume=kpi_settings.min_ranking_volume,
                   black_requires_bad=kpi_settings.black_requires_bad, board_size=kpi_settings.board_size,
                   black_requires_excess=kpi_settings.black_requires_excess)

    @property
    def order(self) -> tuple[tuple[str, bool], ...]:
        return METRIC_ORDERS[self.metric]


def rule_caption(rule: RankRule) -> str:
    """The ranking rule in one Chinese sentence: the caption under every ranking table (总览, API, bulletin)."""
    black = "有差评的参与排名单位中" if rule.black_requires_bad else "参与排名单位中"
    s = (f"排名规则：评价数不少于{rule.min_volume}条的单位参与排名，按{METRIC_WORDS[rule.metric]}排序；"
         f"红榜为前{rule.board_size}名，黑榜为{black}排名末尾的{rule.board_size}个（末位在前，不与红榜重复）")
    if rule.black_requires_bad:
        s += "，没有差评的单位不列入黑榜"
    if rule.black_requires_excess:
        s += "，调整后差评率不高于整体差评率（差评不多于所办事项和渠道应有的水平）的单位也不列入黑榜"
    return s + "。"


@dataclass(frozen=True)
class Ranking:
    """Units (regions or departments) ranked by ``ranking``, with the case-mix columns, and the two boards."""

    unit: str  # "region" | "dept"
    table: pd.DataFrame  # every unit, ranked ones first
    red: pd.DataFrame  # 红榜: best ``board_size`` ranked units
    black: pd.DataFrame  # 黑榜: worst ``board_size`` ranked units, worst first
    min_volume: int
    metric: str = "adjusted_bad_rate"  # the RankRule metric it was ranked on
    caption: str = ""  # rule_caption(rule): shown under every table of this ranking


def ranking(table: pd.DataFrame, key: str, *, min_volume: int = 30, previous: pd.DataFrame | None = None,
            order: Sequence[tuple[str, bool]] = RANK_ORDER, year_ago: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank units (rows of a ``rating_table`` by ``key``, optionally merged with a ``case_table``).

    Only units with 评价数 ≥ min_volume are ranked (``eligible``); the others follow with rank None. ``order``: the
    sort columns (default 整体平均分 desc, then 差评率 asc, 主动评价率 desc, 评价数 desc; ``METRIC_ORDERS`` has
    the others); units equal on all of these share a rank; the key breaks the listing tie. With ``previous`` (the
    same table a month earlier) the *_mom columns are 环比 (rates in pp, 平均分 in points, 评价数 in %); with
    ``year_ago`` the *_yoy columns are 同比 of the rates."""
    return pd.DataFrame(ranked_columns(dict(table.items()), key, min_volume=min_volume, previous=previous,
                                       order=order, year_ago=year_ago))


def ranked_columns(table: Mapping[str, Any], key: str, *, min_volume: int = 30,
                   previous: Mapping[str, Any] | pd.DataFrame | None = None,
                   order: Sequence[tuple[str, bool]] = RANK_ORDER,
                   year_ago: Mapping[str, Any] | pd.DataFrame | None = None) -> dict[str, Any]:
    """``ranking`` on a table's columns (arrays or series of one length; ``kpi.rating_columns``): the ranked
    table's columns, built without a frame (the 总览 ranks twice a request)."""
    cols, asc = [c for c, _ in order], [a for _, a in order]
    table = dict(table)
    if "rank_key" in cols:  # the adjusted 差评率; a unit without case-mix figures sorts on its 差评率
        adjusted, bad_rate = (pd.to_numeric(pd.Series(table[c]), errors="coerce")
                              for c in ("adjusted_bad_rate", "bad_rate"))
        table["rank_key"] = adjusted.fillna(bad_rate).to_numpy()
    table["eligible"] = _floats(table["total"]) >= min_volume
    at = sort_order([table["eligible"], *(table[c] for c in cols), table[key]], [False, *asc, True])
    t = {name: _take(values, at) for name, values in table.items()}
    eligible = t["eligible"]
    sig = [tuple(row) for row in np.column_stack([_floats(t[c]) for c in cols])[eligible].round(12).tolist()]
    first = {s: i + 1 for i, s in reversed(list(enumerate(sig)))}
    rank: list[int | None] = [None] * len(at)
    for pos, s in zip(np.flatnonzero(eligible).tolist(), sig, strict=True):
        rank[pos] = first[s]
    t["rank"] = pd.array(rank, dtype="Int64")
    if previous is not None:
        prev = _lookup(previous, key, t[key])
        for col in ("good_rate", "bad_rate", "avg_score_10"):
            t[f"{col}_mom"] = _floats(t[col]) - prev(col)
        base = prev("total")
        total = _floats(t["total"])
        t["total_mom"] = np.divide(total - base, base, out=np.full(len(at), np.nan), where=base > 0) * 100.0
    if year_ago is not None:
        old = _lookup(year_ago, key, t[key])
        for col in ("good_rate", "bad_rate"):
            t[f"{col}_yoy"] = _floats(t[col]) - old(col)
    return t


def sort_order(keys: Sequence[Any], ascending: Sequence[bool]) -> np.ndarray:
    """The row order ``DataFrame.sort_values`` gives for these key columns (na_position last): numbers as they
    are (descending negated or inverted; NaN last), other keys by their sorted codes; one stable lexsort."""
    labels = []
    for k, up in zip(reversed(keys), reversed(ascending), strict=True):
        arr = k.to_numpy() if isinstance(k, pd.Series | pd.Index) and isinstance(k.dtype, np.dtype) else k
        if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiub":
            labels.append(arr if up else -arr if arr.dtype.kind == "f" else ~arr)
            continue
        codes, uniques = pd.factorize(k, sort=True)  # the codes of an ordered Categorical; missing -1
        n, missing = len(uniques), codes == -1
        codes = np.where(missing, n, codes)
        labels.append(codes if up else np.where(missing, codes, n - codes - 1))
    return np.lexsort(labels)


def _take(values: Any, at: np.ndarray) -> Any:
    """The values at positions ``at`` with their dtype, without an index (a series' values)."""
    if isinstance(values, pd.Series):
        values = values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
    return values.take(at)


def _floats(values: Any) -> np.ndarray:
    """Values as float64, missing as NaN."""
    if isinstance(values, np.ndarray):
        return values.astype("float64")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _lookup(other: Mapping[str, Any] | pd.DataFrame, key: str, keys: Any):
    """A function giving ``other[col]`` for each of ``keys`` as floats (NaN where ``other`` has no row)."""
    at = pd.Index(other[key]).get_indexer(keys)  # what Series.map does (NaN keys meet NaN keys)

    def values(col: str) -> np.ndarray:
        v = _floats(other[col])
        return np.where(at >= 0, v[at], np.nan) if len(v) else np.full(len(keys), np.nan)

    return values


def boards(ranked: pd.DataFrame, rule: RankRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """红榜 (best ``rule.board_size`` eligible units) and 黑榜 (worst ``board_size``, worst first, never a unit on
    the 红榜; with ``black_requires_bad`` only units with at least one 差评; with ``black_requires_excess`` none
    whose 实际/预期 (``oe_ratio``) is known and at most 1)."""
    size = rule.board_size
    eligible = np.flatnonzero(ranked["eligible"].astype(bool).to_numpy())  # positions, in ranked order
    red, rest = eligible[:size], eligible[size:]
    if rule.black_requires_bad:
        rest = rest[(pd.to_numeric(ranked["bad"], errors="coerce").fillna(0).to_numpy() > 0)[rest]]
    if rule.black_requires_excess and "oe_ratio" in ranked:
        rest = rest[~(pd.to_numeric(ranked["oe_ratio"], errors="coerce").to_numpy() <= 1.0)[rest]]
    black = rest[::-1][:size]
    return ranked.take(red).reset_index(drop=True), ranked.take(black).reset_index(drop=True)


def rank_units(table: pd.DataFrame, key: str, rule: RankRule, *, previous: pd.DataFrame | None = None,
               year_ago: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``ranking`` and ``boards`` under one rule: (every unit ranked, 红榜, 黑榜)."""
    ranked = ranking(table, key, min_volume=rule.min_volume, previous=previous, order=rule.order,
                     year_ago=year_ago)
    red, black = boards(ranked, rule)
    return ranked, red, black


def region_label(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A region's display name: from ``names`` (12-digit or short code), else the code without its zero padding."""
    if not code or (isinstance(code, float) and pd.isna(code)):
        return "未标注区划"
    return region_name(code, names or {}) or f"区划{short_code(code)}"


def unit_ranking(conn: Connection, unit: str, month: Filters, previous: Filters, *, as_of: datetime,
                 good_includes_basic: bool, frozen: bool = False, rule: RankRule | None = None,
                 min_volume: int | None = None, board_size: int | None = None,
                 region_names: Mapping[str, str] | None = None, prefetched: stats_queries.Prefetch = None,
                 year_ago: Filters | None = None) -> Ranking:
    """Every unit of the scope for the month: KPIs, 按时整改率, case-mix columns, rank, 环比 (同比 of the rates with
    ``year_ago``); and the boards under ``rule`` (default: ``RankRule()``; ``min_volume`` / ``board_size``
    override its fields). 按时整改率 is the ledger's as of ``as_of``, live or ``frozen`` (periods.ledger_counts).

    expected = 差评 the unit would have at the scope's 差评率 of each (事项, 渠道) cell it handles; oe_ratio =
    差评 / expected; adjusted_bad_rate = the scope's 差评率 × oe_ratio (see case_mix.case_mix)."""
    rule = rule or RankRule()
    if min_volume is not None or board_size is not None:
        rule = dataclasses.replace(rule, min_volume=rule.min_volume if min_volume is None else min_volume,
                                   board_size=rule.board_size if board_size is None else board_size)
    dim, key, extra = UNITS[unit]

    def table_of(f: Filters) -> dict[str, Any]:  # by unit; a renamed unit is one row (``names``)
        rows, factorised = stats_queries.rating_rows(conn, f, (dim,), prefetched=prefetched)
        return kpi.rating_columns(rows, [key], good_includes_basic=good_includes_basic, names=extra,
                                  factorised=factorised)

    cur, prev = table_of(month), table_of(previous)
    old = table_of(year_ago) if year_ago is not None else None
    cases = kpi.case_table(periods.ledger_counts(conn, month, (dim,), as_of=as_of, frozen=frozen,
                                                  prefetched=prefetched), [key],
                           good_includes_basic=good_includes_basic)
    rows, factorised = stats_queries.rating_rows(conn, month, (dim, "service", "channel"), prefetched=prefetched)
    mix = case_mix(rows, key, factorised=factorised)
    table = _joined(cur, key, (cases, ("on_time_rate",)), (mix, ("expected", "oe_ratio", "adjusted_bad_rate")))
    ranked = ranked_columns(table, key, min_volume=rule.min_volume, previous=prev, order=rule.order, year_ago=old)
    keys = pd.Series(ranked[key])
    if unit == "region":
        ranked["name"] = keys.map(lambda c: region_label(c, region_names))
    else:
        names = pd.Series(ranked["dept_name"])
        ranked["name"] = names.where(names.notna(), keys).fillna("未标注部门")
    ranked["key"] = ranked[key]
    n = len(keys)  # one constructor, floats rounded as kpi.round_frame rounds them; a column not computed is None
    out = pd.DataFrame({c: _rounded(ranked[c]) if c in ranked else np.full(n, None, dtype=object) for c in COLUMNS})
    red, black = boards(out, rule)
    return Ranking(unit=unit, table=out, red=red, black=black, min_volume=rule.min_volume, metric=rule.metric,
                   caption=rule_caption(rule))


def _rounded(values: Any) -> Any:
    """Float values rounded to kpi.DIGITS (``kpi.round_frame``'s rounding), others as they are."""
    return values.round(kpi.DIGITS) if pd.api.types.is_float_dtype(getattr(values, "dtype", None)) else values


def _joined(left: Mapping[str, Any], key: str, *others: tuple[pd.DataFrame, tuple[str, ...]]) -> dict[str, Any]:
    """The columns of ``left`` with float columns looked up from other tables by ``key`` (unique there; NaN where
    a unit has no row): a left merge on the key, done as index lookups."""
    out = dict(left)
    keys = left[key]
    for other, cols in others:
        at = pd.Index(other[key]).get_indexer(keys)  # NaN keys meet NaN keys, as in a merge
        for col in cols:
            values = pd.to_numeric(other[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            out[col] = np.where(at >= 0, values[at], np.nan) if len(values) else np.full(len(keys), np.nan)
    return out


def top_services(frame: pd.DataFrame, n: int = 5, *, good_includes_basic: bool = True,
                 factorised: dict | None = None) -> pd.DataFrame:
    """The ``n`` services with most 差评 (frame split by service); ties by 差评率 then key. Only services with 差评.

    Ranked on the KPI table's columns (``kpi.rating_columns``) and only the ``n`` rows made a frame: the rows and
    order of sorting the whole table (a test holds the two equal)."""
    t = kpi.rating_columns(frame, ["service_key"], good_includes_basic=good_includes_basic, names=["service_name"],
                           factorised=factorised)
    bad = np.asarray(t["bad"])
    kept = np.flatnonzero(bad > 0)
    at = kept[sort_order([bad[kept], np.asarray(t["bad_rate"])[kept], _take(t["service_key"], kept)],
                         [False, False, True])][:n]
    return pd.DataFrame({c: _take(v, at) for c, v in t.items()})


def service_table(conn: Connection, cur: Filters, prev: Filters, gib: bool, n: int = TOP_SERVICES, *,
                  prefetched: stats_queries.Prefetch = None) -> pd.DataFrame:
    """The ``n`` services with most 差评 in ``cur`` (``top_services``) and their 差评 in ``prev`` (bad_prev);
    the bulletin and the 总览 show this table."""
    rows, factorised = stats_queries.rating_rows(conn, cur, ("service",), prefetched=prefetched)
    top = top_services(rows, n, good_includes_basic=gib, factorised=factorised)
    if top.empty:
        return top.assign(bad_prev=pd.Series(dtype="int64"))
    rows, factorised = stats_queries.rating_rows(conn, prev.with_period(prev.start, prev.end), ("service",),
                                                 prefetched=prefetched)
    old = kpi.rating_columns(rows, ["service_key"], good_includes_basic=gib, factorised=factorised)
    at = pd.Index(old["service_key"]).get_indexer(top["service_key"])  # what Series.map does
    bad = np.asarray(old["bad"])
    return top.assign(bad_prev=np.where(at >= 0, bad[np.maximum(at, 0)] if len(bad) else 0, 0).astype("int64"))
