"""The KPI formulas' array forms (numpy grouping, case mix, level distribution, ranking, normalised frames,
prefetched rating frames) against plain-pandas references that say what they must compute."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import select

from feedback.filters import Filters
from feedback.models import LedgerCase
from feedback.stats import formats, kpi, rankings
from feedback.stats import queries as stats_queries
from feedback.stats.case_mix import case_mix
from tests.feedback.stats.test_kpi import AGREEMENT_FILTERS, load_fixture


@pytest.fixture
def data(engine):
    return load_fixture(engine)


def _pandas_sum_by(frame: pd.DataFrame, by: list[str], parts: dict, ints) -> pd.DataFrame:
    """Column sums per group in plain pandas: what kpi._group_sums' numpy grouping must reproduce exactly."""
    p = pd.DataFrame(parts, index=frame.index)
    if by:
        p[by] = frame[by]
        t = p.groupby(by, dropna=False, sort=True).sum(numeric_only=True).reset_index()
    else:
        t = p.sum(numeric_only=True).to_frame().T
    return t.astype({c: "int64" for c in ints})


@pytest.mark.parametrize("seed", range(6))
def test_group_sums_like_pandas(seed):
    """Groups, their order (missing keys last), key values and dtypes, and sums equal pandas' groupby for the
    key kinds the frames carry: strings with gaps, nullable levels, flags, dates, object columns with None."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    frame = pd.DataFrame({
        "dept_key": pd.Series(pick(["d1", "d2", "部门乙", None, "d10"]), dtype="str"),
        "service_name": pd.Series(pick(["社保", None, "公积金", "a"]), dtype=object),
        "level": pd.array(pick([1, 2, 3, 4, 5, None]), dtype="Int64"),
        "is_default": pick([True, False]), "voided": pick([False, False, True]),
        "day": pick([date(2026, 3, 2), date(2026, 3, 1), date(2025, 12, 31)]),
        "channel": pd.Series(pick(["1", "2", "10", None]), dtype="str"),
    })
    parts = {"n": rng.integers(0, 1000, n), "score": rng.integers(0, 1000, n) * 8.0,
             "hidden": rng.integers(0, 3, n)}
    for by in ([], ["dept_key"], ["service_name"], ["level", "is_default", "voided"], ["day"],
               ["dept_key", "service_name", "channel", "level", "is_default", "voided"], ["channel", "day"]):
        keys, sums = kpi._group_sums(frame, by, parts, ints=("n",))  # hidden: an int part not listed
        got = pd.DataFrame({**keys, **sums})
        want = _pandas_sum_by(frame, by, parts, ints=("n",))
        pd.testing.assert_frame_equal(got, want, check_index_type=False)
    empty, none = frame.iloc[:0], {k: v[:0] for k, v in parts.items()}
    keys, sums = kpi._group_sums(empty, ["dept_key"], none, ("n",))
    pd.testing.assert_frame_equal(pd.DataFrame({**keys, **sums}), _pandas_sum_by(empty, ["dept_key"], none, ("n",)))


def _pandas_case_mix(frame: pd.DataFrame, unit: str, mix=("service_key", "channel")) -> pd.DataFrame:
    """case_mix.case_mix in plain pandas groupby / transform: the reference its array form must equal. A service
    that one unit alone handles is expected at its channel's 差评率 over the whole frame."""
    t = kpi.rating_table(frame, [unit, *mix])
    cell = t.groupby(list(mix), dropna=False)[["bad", "total"]].transform("sum")
    rest = t.groupby(list(mix[1:]), dropna=False)[["bad", "total"]].transform("sum")
    shared = t.groupby(mix[0], dropna=False)[unit].transform(lambda s: s.nunique(dropna=False)) >= 2
    cell = cell.where(shared, rest)
    t["expected"] = t["total"] * (cell["bad"] / cell["total"].where(cell["total"] > 0)).fillna(0.0)
    u = t.groupby(unit, dropna=False)[["total", "bad", "expected"]].sum().reset_index()
    overall = u["bad"].sum() / u["total"].sum() * 100.0 if u["total"].sum() else None
    u["oe_ratio"] = u["bad"] / u["expected"].where(u["expected"] > 0)
    u["adjusted_bad_rate"] = u["oe_ratio"] * overall if overall is not None else None
    return u


@pytest.mark.parametrize("seed", range(4))
def test_case_mix_equals_pandas_reference(seed):
    import numpy as np

    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(20, 3000))
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    frame = pd.DataFrame({
        "dept_key": pd.Series(pick([f"d{i}" for i in range(25)] + [None]), dtype="str"),
        "service_key": pd.Series(pick([f"s{i}" for i in range(150)] + [None]), dtype="str"),
        "channel": pd.Series(pick(list("1234567")), dtype="str"),
        "level": pd.array(pick([1, 2, 3, 4, 5, 5, 5, 4]), dtype="Int64"), "is_default": pick([True, False, False]),
        "voided": pick([False] * 20 + [True]), "n": rng.integers(1, 5000, n), "projects": 0,
        "hidden": rng.integers(0, 3, n)})
    got, want = case_mix(frame, "dept_key"), _pandas_case_mix(frame, "dept_key")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    calm = frame.assign(level=pd.array([5] * n, dtype="Int64"))  # no 差评 at all: no ratio
    pd.testing.assert_frame_equal(case_mix(calm, "dept_key"), _pandas_case_mix(calm, "dept_key"),
                                  check_exact=True)


def _pandas_normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """stats_queries._normalise column by column (the reference of its one-constructor form)."""
    frame = frame.copy()
    for c in ("n", "projects", "hidden"):
        if c in frame:
            frame[c] = frame[c].fillna(0).astype("int64")
    for c in ("is_default", "voided"):
        if c in frame:
            frame[c] = frame[c].astype(bool)
    if "level" in frame:
        frame["level"] = frame["level"].astype("Int64")
    if "day" in frame:
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def test_normalise_gives_the_same_frames():
    from decimal import Decimal

    from feedback.stats.queries.counts import count_frame

    rows = [
        [(date(2026, 3, 2), "d1", 5, False, False, 7, 0, 1), (date(2026, 3, 1), None, None, True, True, 2, 1, 0)],
        [("2026-03-02", "d1", 5, 0, 1, Decimal(7), None, Decimal(1)), ("2026-03-01", "d2", 1, 1, 0, Decimal(2), 3, 0)],
        [(datetime(2026, 3, 2, 0, 0), None, 3, None, False, 1, 0, 0)],
        [],
    ]
    cols = ["day", "dept_key", "level", "is_default", "voided", "n", "projects", "hidden"]
    rows.append([("d1", "名称", "pc", 5, False, True, 3, 1, 0), ("d2", None, None, None, True, False, 1, 0, 2)])
    for r in rows:
        names = cols if not r or len(r[0]) == len(cols) else ["dept_key", "dept_name", "channel", *cols[2:]]
        frame = stats_queries.to_frame(r, names)
        pd.testing.assert_frame_equal(stats_queries.normalise(frame.copy()), _pandas_normalise(frame))
        # what counts() builds, column by column
        pd.testing.assert_frame_equal(count_frame(r, names), stats_queries.normalise(frame.copy()))
    frame = stats_queries.to_frame([("a", 1, 2)], ["tag", "n", "other"])
    pd.testing.assert_frame_equal(stats_queries.normalise(frame.copy()), _pandas_normalise(frame))


def _pandas_level_distribution(frame: pd.DataFrame) -> pd.DataFrame:
    """kpi.level_distribution as a pivot table (the reference of its array form)."""
    f = frame[~frame["voided"].astype(bool)]
    pivot = f.assign(col=f["is_default"].map({True: "default", False: "active"})).pivot_table(
        index="level", columns="col", values="n", aggfunc="sum", fill_value=0)
    t = pivot.reindex(index=[5, 4, 3, 2, 1], columns=["active", "default"], fill_value=0).astype("int64")
    t["total"] = t["active"] + t["default"]
    for col in ("active", "default", "total"):
        t[f"{col}_share"] = kpi._pct(t[col], pd.Series(t[col].sum(), index=t.index))
    t.insert(0, "name", [kpi.LEVELS[lv] for lv in t.index])
    return t.rename_axis("level").reset_index()


def test_level_distribution_equals_pivot_reference():
    frame = pd.DataFrame({"level": pd.array([5, 5, 4, 1, 2, 5, 3], dtype="Int64"),
                          "is_default": [False, True, False, False, False, True, False],
                          "voided": [False, False, False, True, False, False, False], "n": [7, 30, 2, 4, 1, 3, 5]})
    for f in (frame, frame[frame["is_default"]], frame.assign(voided=True)):
        got, want = kpi.level_distribution(f), _pandas_level_distribution(f)
        pd.testing.assert_frame_equal(got, want, check_names=False, check_exact=True)
        assert got["level"].tolist() == [5, 4, 3, 2, 1]
    assert kpi.level_distribution(frame)["default"].tolist() == [33, 0, 0, 0, 0]


def _pandas_ranking(table, key, *, min_volume=30, previous=None, order=rankings.RANK_ORDER):
    """kpi.ranking with a Series per step (the reference of its array form)."""
    t = table.copy()
    t["eligible"] = t["total"] >= min_volume
    cols, asc = [c for c, _ in order], [a for _, a in order]
    t = t.sort_values(["eligible", *cols, key], ascending=[False, *asc, True], na_position="last",
                      ignore_index=True)
    ranked = t[t["eligible"]]
    sig = ranked[cols].astype("float64").round(12).apply(tuple, axis=1)
    first = {s: i + 1 for i, s in reversed(list(enumerate(sig)))}
    t["rank"] = pd.Series([first[s] for s in sig], index=ranked.index, dtype="Int64").reindex(t.index)
    if previous is not None:
        prev = previous.set_index(key)
        for col in ("good_rate", "bad_rate", "avg_score_10"):
            t[f"{col}_mom"] = t[col] - t[key].map(prev[col])
        base = t[key].map(prev["total"])
        t["total_mom"] = (t["total"] - base) / base.where(base > 0) * 100.0
    return t


@pytest.mark.parametrize("seed", range(5))
def test_ranking_equals_series_reference(seed):
    import numpy as np

    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(2, 60))
    frame = pd.DataFrame({
        "dept_key": pd.Series([f"d{i:02d}" for i in range(n - 1)] + [None], dtype="str"),
        "channel": pd.Series(rng.choice(["1", "2"], n), dtype="str"),
        "level": pd.array(rng.choice([1, 2, 5, 5], n), dtype="Int64"), "is_default": rng.random(n) < 0.3,
        "voided": False, "n": rng.integers(0, 80, n), "projects": 0, "hidden": 0})
    frame = pd.concat([frame, frame.assign(level=pd.array([5] * n, dtype="Int64"))], ignore_index=True)  # ties
    table = kpi.rating_table(frame, ["dept_key"])
    previous = kpi.rating_table(frame.sample(frac=0.5, random_state=seed), ["dept_key"])
    for prev in (None, previous, previous.iloc[:0]):
        got = rankings.ranking(table, "dept_key", min_volume=40, previous=prev)
        want = _pandas_ranking(table, "dept_key", min_volume=40, previous=prev)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_prefetched_frames_equal_their_queries(engine, data):
    """With stats_queries.prefetch's frame, rating frames are summed from one fetched frame: the same rows as their
    own GROUP BY, for every filter set and split the overview asks for (and the SQL when not covered)."""
    splits = [(), ("region",), ("dept",), ("service",), ("channel",), ("dept", "service", "channel"),
              ("region", "service", "channel"), ("region", "dept", "service"), ("service", "dept")]
    for filters in AGREEMENT_FILTERS:
        with engine.connect() as conn:
            want = {by: stats_queries.rating_frame(conn, filters, by) for by in splits}
            pre = stats_queries.prefetch(conn, filters, ("region", "dept", "service", "channel"))
            got = {by: stats_queries.rating_frame(conn, filters, by, prefetched=pre) for by in splits}
            assert stats_queries.rating_frame(conn, filters, ("level",), prefetched=pre).equals(
                stats_queries.rating_frame(conn, filters, (), prefetched=pre))  # level is always there
            other = Filters(start=date(2026, 3, 2), end=date(2026, 3, 31))
            pd.testing.assert_frame_equal(stats_queries.rating_frame(conn, other, ("dept",), prefetched=pre),
                                          want_other := _query(conn, other, ("dept",)))
            assert len(want_other) > 0
            for by in splits:
                keys = [c for c in want[by].columns if c not in ("n", "projects", "hidden")]
                w = want[by].sort_values(keys, ignore_index=True)
                g = got[by].sort_values(keys, ignore_index=True)
                assert list(g.columns) == list(w.columns), by
                pd.testing.assert_frame_equal(g, w, check_dtype=False, obj=f"{filters} {by}")
                assert g.dtypes.to_dict() == w.dtypes.to_dict() or w.empty, by


def test_kpi_tables_from_prefetched_rows_equal_those_of_their_frames(engine, data):
    """stats_queries.rating_rows gives the prefetched base as it is (split further) with its factorised columns:
    every KPI table summed from it equals the table of the rating frame the queries give (null keys, renamed
    units and empty scopes included), and so does the case mix."""
    dims = {"region": ("region_code", ()), "dept": ("dept_key", ("dept_name",)), "service": ("service_key",
            ("service_name",)), "channel": ("channel", ())}
    for filters in AGREEMENT_FILTERS:
        with engine.connect() as conn:
            pre = stats_queries.prefetch(conn, filters, ("region", "dept", "service", "channel"))
            for dim, (key, names) in dims.items():
                rows, factorised = stats_queries.rating_rows(conn, filters, (dim,), prefetched=pre)
                assert rows is pre.base and factorised is pre.factorised
                got = kpi.rating_table(rows, [key], names=names, factorised=factorised)
                want = kpi.rating_table(_query(conn, filters, (dim,)), [key], names=names)
                pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{filters} {dim}")
            for dim, key in (("region", "region_code"), ("dept", "dept_key")):
                rows, factorised = stats_queries.rating_rows(conn, filters, (dim, "service", "channel"),
                                                             prefetched=pre)
                pd.testing.assert_frame_equal(
                    case_mix(rows, key, factorised=factorised),
                    case_mix(_query(conn, filters, (dim, "service", "channel")), key), check_exact=True)
            assert kpi.rating_kpis(stats_queries.rating_rows(conn, filters, prefetched=pre)[0]) == \
                kpi.rating_kpis(_query(conn, filters, ()))
            other = Filters(start=date(2026, 3, 2), end=date(2026, 3, 31))  # not covered: the frame itself
            rows, factorised = stats_queries.rating_rows(conn, other, ("dept",), prefetched=pre)
            assert factorised is None
            pd.testing.assert_frame_equal(rows, _query(conn, other, ("dept",)))


def _query(conn, filters, by):
    """rating_frame with no prefetched frame (its own GROUP BY)."""
    return stats_queries.rating_frame(conn, filters, by)


def test_group_index_with_too_many_key_combinations_to_number():
    """Seven keys of 700 values each cannot be numbered in 64 bits: the rows of codes are ranked instead, in the
    same lexicographic order as groupby."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 700
    frame = pd.DataFrame({f"k{i}": pd.Series([f"v{x:03d}" for x in rng.permutation(n)], dtype="str")
                          for i in range(7)})
    frame = pd.concat([frame, frame.iloc[:50]], ignore_index=True)  # 50 keys twice
    parts = {"n": np.ones(len(frame), dtype="int64")}
    by = [f"k{i}" for i in range(7)]
    keys, sums = kpi._group_sums(frame, by, parts, ints=("n",))
    pd.testing.assert_frame_equal(pd.DataFrame({**keys, **sums}), _pandas_sum_by(frame, by, parts, ("n",)))
    assert sums["n"].sum() == n + 50 and (sums["n"] == 2).sum() == 50


def test_prefetched_cases_give_the_ledger_kpis_of_their_queries(engine, data):
    """The case counts prefetched by region and department (one statement) give kpi.case_table the figures of
    their own queries by nothing, region or department; several prefetched frames are searched in turn."""
    from feedback import ledger

    with engine.begin() as conn:
        assert ledger.sync_cases(conn, now=datetime(2026, 3, 2, 11, 0)) == 5
        first = conn.execute(select(LedgerCase.id).order_by(LedgerCase.id)).scalars().first()
        ledger.set_status(conn, first, "整改中", by="ops", now=datetime(2026, 3, 9, 9))
    today, seen = date(2026, 3, 25), 0
    for filters in AGREEMENT_FILTERS:
        with engine.connect() as conn:
            other = stats_queries.prefetch(conn, filters.with_period(date(2025, 1, 1), date(2025, 1, 31)),
                                           ("region", "dept"))
            pre = stats_queries.prefetch_cases(
                conn, stats_queries.prefetch(conn, filters, ("region", "dept", "service", "channel")), today)
            for by, keys in (((), []), (("region",), ["region_code"]), (("dept",), ["dept_key"])):
                want = stats_queries.case_counts(conn, filters, by, today=today)
                got = stats_queries.case_counts(conn, filters, by, today=today, prefetched=(other, pre))
                seen += int(want["n"].sum())
                pd.testing.assert_frame_equal(kpi.case_table(got, keys), kpi.case_table(want, keys),
                                              obj=f"{filters} {by}")
            assert stats_queries.case_counts(conn, filters, ("channel",), today=today, prefetched=pre).equals(
                stats_queries.case_counts(conn, filters, ("channel",), today=today))  # not covered: its query
            for by in ((), ("dept",), ("region", "service", "channel")):
                pd.testing.assert_frame_equal(
                    stats_queries.rating_frame(conn, filters, by, prefetched=(other, pre)),
                    stats_queries.rating_frame(conn, filters, by, prefetched=pre))
    assert seen > 0


def _plain_rows(frame: pd.DataFrame) -> list[dict]:
    """What formats.plain did with a frame: to_dict(orient="records"), each value made plain."""
    return [{k: formats.plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def test_frame_records_equal_the_records_of_to_dict(engine, data):
    """formats.plain builds a frame's records column by column: the same dicts as to_dict(orient="records")
    made plain, for every dtype the overview's frames carry and for the overview itself."""
    from dashboards.queries.overview import overview_data

    frame = pd.DataFrame({
        "i": [1, 2, 3], "f": [0.5, float("nan"), 2.0], "b": [True, False, True],
        "I": pd.array([1, None, 3], dtype="Int64"), "s": pd.array(["a", None, "c"], dtype="str"),
        "o": ["x", None, 1.5], "d": [date(2026, 3, 1), None, date(2026, 3, 3)],
        "t": pd.to_datetime(["2026-03-01 10:00", None, "2026-03-03 00:00"]), 7: [None, "q", "r"]})
    def same(f: pd.DataFrame) -> bool:  # equal values of the same JSON types (1, 1.0 and True differ there)
        got, want = formats.plain(f), _plain_rows(f)
        return got == want and json.dumps(got, default=str) == json.dumps(want, default=str)

    for f in (frame, frame.iloc[:0], frame[["f"]], pd.DataFrame(index=range(2))):
        assert same(f)
    with engine.connect() as conn:
        for filters in AGREEMENT_FILTERS[:6]:
            ov = overview_data(conn, filters, None, now=datetime(2026, 4, 20, 9))
            for name in ("levels", "trend", "channels", "categories", "services", "tags"):
                assert same(getattr(ov, name)), name
            for r in (ov.regions, ov.depts):
                for t in (r.table, r.red, r.black):
                    assert same(t)
