"""The bulletin KPIs (DOMAIN.md §6): pure formulas over count frames, 环比 / 同比, the period helpers and the
display rounding. The frames come from ``feedback.stats.queries``; ``feedback.stats.periods`` runs the queries
and these formulas for a period or a month; the KPIs' names and kinds are in ``feedback.stats.spec``.

Units: rates are percentages (0-100). Changes (``changes``): rates → difference in percentage points; counts →
relative change in percent; 整体平均分 → difference in points. A change is None when either side is None or a
count's base is 0. Rating KPIs exclude ratings voided on appeal (差评无效); ``voided`` counts them.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from feedback.codes import BAD_LEVELS, LEVELS, SCORE_10, channel_name, tag_info
from feedback.stats import spec
from feedback.stats.grouping import group_index, max_per_group

BAD_MAX_LEVEL = max(BAD_LEVELS)  # 差评 = 不满意 + 非常不满意, non-default ratings only

RATING_COLUMNS = ("total", "projects", "active_total", "active_rate", "good", "good_rate", "active_good_rate",
                  "bad", "bad_rate", "avg_score_10", "hidden_complaints", "voided")


def good_min_level(good_includes_basic: bool) -> int:
    """Lowest level that counts as 好评: 3 (基本满意) by default, 4 where a province excludes 基本满意."""
    return 3 if good_includes_basic else 4


def _pct(num: pd.Series | float, den: pd.Series | float):
    if isinstance(den, pd.Series):
        return (num / den.where(den > 0)) * 100.0
    return None if not den else num / den * 100.0


def rating_table(frame: pd.DataFrame, by: Sequence[str] = (), *, good_includes_basic: bool = True,
                 names: Sequence[str] = (), factorised: dict | None = None) -> pd.DataFrame:
    """``rating_columns`` as a frame (see there)."""
    # one constructor: inserting columns one by one into a frame costs more than the arithmetic
    return pd.DataFrame(rating_columns(frame, by, good_includes_basic=good_includes_basic, names=names,
                                       factorised=factorised))


def rating_columns(frame: pd.DataFrame, by: Sequence[str] = (), *, good_includes_basic: bool = True,
                   names: Sequence[str] = (), factorised: dict | None = None) -> dict[str, Any]:
    """Rating KPIs per group of ``by`` over a rating frame (columns level, is_default, voided, n, projects, hidden),
    as the columns of a table (keys, names, then RATING_COLUMNS; what ``rating_table`` makes a frame of).

    total = Σn of valid (non-voided) ratings; active_total = Σn non-default; good = Σn level ≥ 3 (≥ 4 when
    基本满意 is excluded); bad = Σn non-default with level ≤ 2; good_rate = good/total; active_rate =
    active_total/total; active_good_rate = active good/active_total; bad_rate = bad/total; avg_score_10 =
    Σ n·score10(level)/total with 10, 8, 6, 3, 0; hidden_complaints = Σhidden; projects = Σ first ratings with
    a 办件编号; voided = Σn of voided ratings (outside every other figure).

    ``names``: display-name columns (dept_name, service_name) carried after the keys, each the largest of a
    group's names (``grouping.max_per_group``), never a key: a unit renamed in the period (same code, new name)
    stays one row with all its ratings instead of two rows that split them.

    Every figure is a sum over rows, so the rows may be split further than ``by`` and the rating dimensions (a
    prefetched frame, ``stats_queries.rating_rows``): the table is the same. ``factorised``: the frame's
    factorised columns, kept for the next call on the same frame (``grouping.group_index``)."""
    keys, s = _group_sums(frame, list(by), rating_parts(frame, good_includes_basic, factorised), ints=_RATING_INTS,
                          names=names, factorised=factorised)
    return {**keys, **_with_rates(s)}


_RATING_INTS = ("total", "projects", "active_total", "good", "active_good", "bad", "hidden_complaints", "voided")


def rating_parts(frame: pd.DataFrame, good_includes_basic: bool, cache: dict | None = None) -> dict[str, np.ndarray]:
    """Each row's share of every summed rating figure (``rating_columns``), remembered in ``cache`` (a frame's
    factorised columns, ``grouping.factorize``) for the next table of the same frame."""
    if cache is not None and ("__rating_parts__", good_includes_basic) in cache:
        return cache[("__rating_parts__", good_includes_basic)]
    parts = _rating_parts(frame, good_includes_basic)
    if cache is not None:
        cache[("__rating_parts__", good_includes_basic)] = parts
    return parts


def _rating_parts(frame: pd.DataFrame, good_includes_basic: bool) -> dict[str, np.ndarray]:
    valid = ~frame["voided"].to_numpy(dtype=bool)
    active = ~frame["is_default"].to_numpy(dtype=bool)
    level = frame["level"].to_numpy(dtype="float64", na_value=float("nan"))
    n = np.where(valid, frame["n"].to_numpy(), 0)
    good = level >= good_min_level(good_includes_basic)
    score = np.select([level == k for k in SCORE_10], [float(v) for v in SCORE_10.values()], 0.0)
    return {
        "total": n, "projects": np.where(valid, frame["projects"].to_numpy(), 0), "active_total": np.where(active, n, 0),
        "good": np.where(good, n, 0), "active_good": np.where(good & active, n, 0),
        "bad": np.where((level <= BAD_MAX_LEVEL) & active, n, 0),
        "score_sum": n * score, "hidden_complaints": np.where(valid, frame["hidden"].to_numpy(), 0),
        "voided": np.where(valid, 0, frame["n"].to_numpy()),
    }


def _with_rates(s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """RATING_COLUMNS from the summed figures: the counts and their rates."""
    total, active_total = s["total"], s["active_total"]
    s["active_rate"] = _rate(active_total, total)
    s["good_rate"] = _rate(s["good"], total)
    s["active_good_rate"] = _rate(s["active_good"], active_total)
    s["bad_rate"] = _rate(s["bad"], total)
    s["avg_score_10"] = _rate(s["score_sum"], total, 1.0)
    return {c: s[c] for c in RATING_COLUMNS}


def bucket_columns(frame: pd.DataFrame, bucket: np.ndarray, buckets: int, *,
                   good_includes_basic: bool = True) -> dict[str, np.ndarray]:
    """RATING_COLUMNS (``rating_columns``) per bucket 0 … ``buckets`` - 1, each row of the rating frame in its
    ``bucket`` (-1: in none): a bucket without rows has zero counts and no rates (the trend's empty weeks)."""
    keep = bucket >= 0
    sums = {}
    for k, v in _rating_parts(frame, good_includes_basic).items():
        total = np.bincount(bucket[keep], weights=np.asarray(v, dtype="float64")[keep], minlength=buckets)
        sums[k] = total.astype("int64") if k in _RATING_INTS else total
    return _with_rates(sums)


def _rate(num: np.ndarray, den: np.ndarray, scale: float = 100.0) -> np.ndarray:
    """num / den × scale where den > 0, else NaN (the arithmetic of ``_pct``, on arrays)."""
    out = np.full(len(den), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok] * scale if scale != 1.0 else num[ok] / den[ok]
    return out


def _group_sums(frame: pd.DataFrame, by: list[str], parts: dict[str, np.ndarray], ints: Sequence[str],
                names: Sequence[str] = (), factorised: dict | None = None
                ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The key columns and the column sums of ``parts`` per group of ``by`` (one group when by is empty),
    ``ints`` (and integer parts) as int64, as arrays to build a frame from in one go.

    The groups, their order and their key values are those of ``groupby(by, dropna=False, sort=True)`` (each key
    sorted, missing last, combinations in lexicographic order; a test compares them); the sums are taken with
    numpy, which is exact because every part is a count or a count times a whole-number weight (integer-valued
    floats below 2**53). This runs for every table of the overview and the bulletin, where pandas' groupby cost
    more than the SQL."""
    if not by:
        return {}, {k: np.array([v.sum()], dtype="int64" if k in ints else "float64") for k, v in parts.items()}
    whole = {k for k, v in parts.items() if k in ints or np.asarray(v).dtype.kind in "iub"}  # sums stay int64
    if frame.empty:  # no groups: the key columns keep their dtypes
        return ({b: frame[b].iloc[:0].reset_index(drop=True) for b in (*by, *names)},
                {k: np.zeros(0, dtype="int64" if k in whole else "float64") for k in parts})
    keys, inverse, groups = group_index(frame, by, factorised)
    keys |= {name: max_per_group(frame, name, inverse, groups, factorised) for name in names}
    sums = {}
    for k, v in parts.items():
        total = np.bincount(inverse, weights=np.asarray(v, dtype="float64"), minlength=groups)
        sums[k] = total.astype("int64") if k in whole else total
    return keys, sums


def rating_kpis(frame: pd.DataFrame, *, good_includes_basic: bool = True,
                factorised: dict | None = None) -> dict[str, Any]:
    """The headline rating KPIs of a whole rating frame (see ``rating_columns``; no table built); projects is
    None when unknown. ``factorised``: the frame's cache (``rating_parts``)."""
    t = rating_columns(frame, good_includes_basic=good_includes_basic, factorised=factorised)
    out = {k: _clean(v[0]) for k, v in t.items()}  # column by column: counts stay int
    out["projects"] = out["projects"] or None
    return out


CASE_COLUMNS = ("cases", "reply_rate", "on_time_rate", "revisit_satisfaction_rate", "open_cases", "overdue_cases")


def case_table(counts: pd.DataFrame, by: Sequence[str] = (), *, good_includes_basic: bool = True) -> pd.DataFrame:
    """``case_columns`` as a frame (see there)."""
    return pd.DataFrame(case_columns(counts, by, good_includes_basic=good_includes_basic))


def case_columns(counts: pd.DataFrame, by: Sequence[str] = (), *,
                 good_includes_basic: bool = True) -> dict[str, Any]:
    """Ledger KPIs per group of ``by`` over a case count frame (``stats_queries.case_counts``, flags as of a day),
    as the columns of a table (keys, then CASE_COLUMNS).

    cases = every case (voided included); valid = not voided; reply_rate = valid with 反馈 given (replied) /
    valid; on_time_rate = rectified on or before rectify_due / cases due (valid, not approved 无法整改, and
    rectified or past rectify_due); revisit_satisfaction_rate = 回访 satisfaction ≥ 3 (≥ 4 when 基本满意 is not
    good) / cases with a 回访 satisfaction; open_cases = valid and not closed; overdue_cases = cases past their
    verify deadline while 待核实, or past their rectify deadline while 待核实 / 整改中."""
    by = list(by)
    st, n = counts["status"].to_numpy(dtype=object), counts["n"].to_numpy()
    valid = st != "voided"
    fixable = valid & (counts["outcome"].fillna("").to_numpy(dtype=object) != "cannot_fix")
    sat = counts["satisfaction"].to_numpy(dtype="float64", na_value=float("nan"))
    replied, done, on_time, rectify_past, verify_past = (
        counts[c].to_numpy(dtype=bool) for c in ("replied", "done", "on_time", "rectify_past", "verify_past"))
    waiting = st == "pending_verify"
    late = (waiting & verify_past) | ((waiting | (st == "rectifying")) & rectify_past)
    parts = {
        "cases": n, "valid": np.where(valid, n, 0), "replied": np.where(valid & replied, n, 0),
        "due": np.where(fixable & (done | rectify_past), n, 0),
        "on_time": np.where(fixable & on_time, n, 0), "revisited": np.where(valid & ~np.isnan(sat), n, 0),
        "satisfied": np.where(valid & (sat >= good_min_level(good_includes_basic)), n, 0),
        "open_cases": np.where(valid & (st != "closed"), n, 0), "overdue_cases": np.where(valid & late, n, 0),
    }
    keys, s = _group_sums(counts, by, parts, ints=tuple(parts))
    s["reply_rate"] = _rate(s["replied"], s["valid"])
    s["on_time_rate"] = _rate(s["on_time"], s["due"])
    s["revisit_satisfaction_rate"] = _rate(s["satisfied"], s["revisited"])
    return {**keys, **{c: s[c] for c in CASE_COLUMNS}}


# The flags a case is counted by (stats_queries.case_counts in SQL, case_flags from a case frame).
CASE_FLAGS = ("status", "outcome", "satisfaction", "replied", "done", "on_time", "rectify_past", "verify_past")


def case_flags(cases: pd.DataFrame, by: Sequence[str] = (), *, today: date) -> pd.DataFrame:
    """A case count frame (the input of ``case_table``) from a case frame, e.g. the ledger replayed at a moment
    (feedback.ledger.replay): the flags of ``stats_queries.case_counts`` as of ``today`` — replied (反馈 given),
    done (rectified), on_time (rectified on or before rectify_due), rectify_past / verify_past (deadline before
    today) — counted per ``by`` columns of the frame. The same definitions as the SQL, held equal by a test."""
    by = list(by)
    rectify_due, rectified = pd.to_datetime(cases["rectify_due"]), pd.to_datetime(cases["rectified_at"])
    day = pd.Timestamp(today)
    flags = pd.DataFrame({
        **{k: cases[k] for k in by}, "status": cases["status"], "outcome": cases["outcome"],
        "satisfaction": cases["satisfaction"].astype("Int64"), "replied": cases["replied_at"].notna(),
        "done": rectified.notna(), "on_time": rectified.dt.normalize() <= rectify_due,
        "rectify_past": rectify_due < day, "verify_past": pd.to_datetime(cases["verify_due"]) < day})
    counts = flags.groupby([*by, *CASE_FLAGS], dropna=False).size().rename("n").reset_index()
    counts["outcome"] = counts["outcome"].astype(object).where(counts["outcome"].notna(), None)  # all-None: not NaN
    return counts.astype({"satisfaction": "Int64", "n": "int64"})


def case_kpis(counts: pd.DataFrame, *, good_includes_basic: bool = True) -> dict[str, Any]:
    """The headline ledger KPIs of a whole case count frame (see ``case_columns``; no table built)."""
    t = case_columns(counts, good_includes_basic=good_includes_basic)
    return {k: _clean(v[0]) for k, v in t.items()}


def overdue_mask(cases: pd.DataFrame, today: date) -> pd.Series:
    """True for cases past a deadline that still binds them (核实 while 待核实; 整改 while 待核实 / 整改中)."""
    st = cases["status"]
    verify_late = (st == "pending_verify") & (cases["verify_due"] < today)
    rectify_late = st.isin(["pending_verify", "rectifying"]) & (cases["rectify_due"] < today)
    return verify_late | rectify_late


def changes(current: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, float | None]:
    """环比 / 同比 of every numeric KPI in ``current``: pp for rates, % for counts, points for 平均分."""
    out: dict[str, float | None] = {}
    for key, cur in current.items():
        if isinstance(cur, bool) or not isinstance(cur, int | float | type(None)):
            continue
        old = base.get(key)
        if cur is None or old is None:
            out[key] = None
        elif spec.change_kind(key) != "pct":  # rates in pp, 平均分 in points
            out[key] = cur - old
        else:
            out[key] = None if old == 0 else (cur - old) / old * 100.0
    return out


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of 'YYYY-MM'."""
    try:
        y, m = (int(p) for p in month.split("-"))
        first = date(y, m, 1)
    except ValueError as exc:
        raise ValueError(f"month '{month}' is not YYYY-MM") from exc
    return first, date(y, m, calendar.monthrange(y, m)[1])


def shift_month(month: str, months: int) -> str:
    y, m = (int(p) for p in month.split("-"))
    idx = y * 12 + (m - 1) + months
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def shift_period(start: date, end: date, months: int) -> tuple[date, date]:
    """The period ``months`` earlier (-1 = 环比, -12 = 同比). Whole months map to whole months; other spans
    move both ends by calendar months, clamped to month ends."""
    def move(d: date) -> date:
        y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
        return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))

    whole = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    s, e = move(start), move(end)
    if whole:
        e = e.replace(day=calendar.monthrange(e.year, e.month)[1])
    return s, e


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


DIGITS = 4  # the display rounding of every figure and table


def rounded(values: Mapping[str, Any], digits: int = DIGITS) -> dict[str, Any]:
    """The display form used by the CLI JSON, the API and the reports alike (same rounding everywhere)."""
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in values.items()}


def display(result: Mapping[str, Any]) -> dict[str, Any]:
    """A month_kpis result in display form: rounded values, and ``mom`` / ``yoy`` rounded the same way."""
    out = rounded({k: v for k, v in result.items() if k not in ("mom", "yoy")})
    return {**out, "mom": rounded(result["mom"]), "yoy": rounded(result["yoy"])}


def round_frame(frame: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Floats rounded like ``rounded``, so a table cell and the JSON agree to the last digit."""
    if frame.columns.has_duplicates:
        out = frame.copy()
        for i in range(out.shape[1]):
            if pd.api.types.is_float_dtype(out.iloc[:, i]):
                out.isetitem(i, out.iloc[:, i].round(digits))
        return out
    out = pd.DataFrame({c: s.round(digits) if pd.api.types.is_float_dtype(s) else s for c, s in frame.items()},
                       index=frame.index, columns=frame.columns)  # one constructor, not a set per column
    return out


# --- breakdown tables of the bulletin -----------------------------------------------------------------------

def channel_table(frame: pd.DataFrame, *, good_includes_basic: bool = True,
                  factorised: dict | None = None) -> pd.DataFrame:
    """KPIs by channel (frame split by ``channel``), largest first, with each channel's share of 评价数 (%)."""
    t = rating_table(frame, ["channel"], good_includes_basic=good_includes_basic, factorised=factorised)
    t["share"] = _pct(t["total"], pd.Series(t["total"].sum(), index=t.index))
    t.insert(1, "channel_name", t["channel"].map(channel_name))
    return t.sort_values(["total", "channel"], ascending=[False, True], ignore_index=True)


def level_distribution(frame: pd.DataFrame) -> pd.DataFrame:
    """Valid ratings per level, default vs active (主动), with each level's share of its column (%)."""
    valid = ~frame["voided"].to_numpy(dtype=bool)
    level = frame["level"].to_numpy(dtype="float64", na_value=float("nan"))[valid]
    default = frame["is_default"].to_numpy(dtype=bool)[valid]
    n = frame["n"].to_numpy(dtype="int64")[valid]
    levels = [5, 4, 3, 2, 1]
    counts = {"active": np.array([n[(level == lv) & ~default].sum() for lv in levels], dtype="int64"),
              "default": np.array([n[(level == lv) & default].sum() for lv in levels], dtype="int64")}
    counts["total"] = counts["active"] + counts["default"]
    shares = {f"{col}_share": _rate(v, np.full(len(v), v.sum())) for col, v in counts.items()}
    return pd.DataFrame({"level": levels, "name": [LEVELS[lv] for lv in levels], **counts, **shares})


def top_tags(tags: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` most frequent 差评 tags (voided 差评 excluded), with their share of all 差评 tag mentions (%).

    Summed per tag with numpy and only the ``n`` rows made a frame: the rows, order and dtypes of a groupby of
    the tags sorted by count (a test holds the two equal)."""
    valid = ~tags["voided"].to_numpy(dtype=bool) & tags["tag"].notna().to_numpy()
    if not valid.any():  # no tag: the groupby's empty frame and its dtypes
        t = tags[valid].groupby("tag", as_index=False)["n"].sum()
        t["share"] = _pct(t["n"], pd.Series(t["n"].sum(), index=t.index))
        t.insert(1, "text", t["tag"].map(lambda c: getattr(tag_info(c), "text", None)))
        return t.head(n).reset_index(drop=True)
    names, inverse = np.unique(tags["tag"].to_numpy(dtype=object)[valid], return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), weights=tags["n"].to_numpy(dtype="float64")[valid],
                         minlength=len(names)).astype("int64")
    total = counts.sum()
    share = counts / total * 100.0 if total > 0 else np.full(len(names), np.nan)
    top = np.lexsort((np.arange(len(names)), -counts))[:n]  # most mentions first, then by tag (names are sorted)
    tag = pd.Series(pd.Index(names.tolist()).array)  # the key column as groupby infers it (strings → str)
    text = tag.map(lambda c: getattr(tag_info(c), "text", None))
    return pd.DataFrame({"tag": tag.array.take(top), "text": text.array.take(top), "n": counts[top],
                         "share": share[top]})
