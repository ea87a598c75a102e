"""The 总览's tables on arrays (complaint categories, case mix from the groups' codes) against the pandas forms
they replaced, on random frames and on the fixture's frames for every agreement filter set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback.scoring.taxonomy import load_taxonomy
from feedback.stats import complaint_mix, kpi
from feedback.stats import queries as stats_queries
from feedback.stats.case_mix import case_mix
from feedback.stats.complaint_mix import BAD_MAX_LEVEL, COLUMNS, UNSCORED, finish_table, table_key
from tests.feedback.stats.test_kpi import AGREEMENT_FILTERS, load_fixture
from tests.feedback.stats.test_kpi_arrays import _pandas_case_mix


@pytest.fixture
def data(engine):
    return load_fixture(engine)


def _pandas_category_table(frame: pd.DataFrame, taxonomy) -> pd.DataFrame:
    """complaint_mix.category_table as a pandas groupby of the parts (the form its arrays replaced)."""
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


def _random_category_frame(rng, n: int, taxonomy) -> pd.DataFrame:
    from feedback.stats.queries.counts import count_frame

    slugs = [c for c in ("timeliness", "materials", "attitude", taxonomy.other_slug, "unknown-slug", None)]
    rows = [(slugs[rng.integers(len(slugs))], ("rating", "message")[rng.integers(2)],
             None if rng.random() < 0.1 else int(rng.integers(1, 6)), bool(rng.random() < 0.3),
             bool(rng.random() < 0.05), int(rng.integers(0, 50)), 0, int(rng.integers(0, 3))) for _ in range(n)]
    return count_frame(rows, list(complaint_mix.BY) + ["n", "projects", "hidden"])


@pytest.mark.parametrize("seed", range(8))
def test_category_table_equals_its_groupby_form(seed):
    """Categories, residual rows, order (ties on the total by key), shares and dtypes: the same frame."""
    taxonomy = load_taxonomy()
    rng = np.random.default_rng(300 + seed)
    frame = _random_category_frame(rng, int(rng.integers(1, 300)), taxonomy)
    for f in (frame, frame.iloc[:0], frame[frame["category"].isna()], frame.assign(n=0, hidden=0),
              frame[frame["kind"] == "message"], frame.assign(category=taxonomy.other_slug)):
        f = f.reset_index(drop=True)
        got, want = complaint_mix.category_table(f, taxonomy), _pandas_category_table(f, taxonomy)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        pd.testing.assert_frame_equal(kpi.round_frame(got), kpi.round_frame(want), check_exact=True)


def test_category_table_on_the_fixture_equals_its_groupby_form(engine, data):
    taxonomy = load_taxonomy()
    seen = 0
    with engine.connect() as conn:
        for filters in AGREEMENT_FILTERS:
            frame = complaint_mix.category_frame(conn, filters)
            got = complaint_mix.category_table(frame, taxonomy)
            pd.testing.assert_frame_equal(got, _pandas_category_table(frame, taxonomy), check_exact=True,
                                          obj=str(filters))
            seen += len(got)
    assert seen > 0


@pytest.mark.parametrize("seed", range(4))
def test_case_mix_from_codes_with_rows_split_further(seed):
    """case_mix numbers the (unit, service, channel) groups of the rows once and reads cells and units from
    their codes: the same as the pandas form over the KPI table by unit and mix, when the rows are split further
    (levels, regions), a unit key is missing, or the unit column holds no value at all; a second call with the
    same factorised columns gives the same frame."""
    rng = np.random.default_rng(400 + seed)
    n = int(rng.integers(20, 2000))
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    frame = pd.DataFrame({
        "region_code": pd.Series(pick(["r1", "r2", None]), dtype="str"),
        "dept_key": pd.Series(pick([f"d{i}" for i in range(12)] + [None]), dtype="str"),
        "service_key": pd.Series(pick([f"s{i}" for i in range(60)] + [None]), dtype="str"),
        "channel": pd.Series(pick(list("12345")), dtype="str"),
        "level": pd.array(pick([1, 2, 3, 4, 5, 5, None]), dtype="Int64"), "is_default": pick([True, False, False]),
        "voided": pick([False] * 10 + [True]), "n": rng.integers(0, 500, n), "projects": 0,
        "hidden": rng.integers(0, 3, n)})
    nothing = frame.assign(region_code=pd.Series([None] * n, dtype=object))
    for f, unit in ((frame, "dept_key"), (frame, "region_code"), (nothing, "region_code")):
        factorised: dict = {}
        want = _pandas_case_mix(f, unit)
        for _ in range(2):
            pd.testing.assert_frame_equal(case_mix(f, unit, factorised=factorised), want, check_exact=True)
    for empty, unit in ((frame.iloc[:0], "dept_key"), (nothing.iloc[:0], "region_code")):  # str, object keys
        pd.testing.assert_frame_equal(case_mix(empty, unit), _pandas_case_mix(empty, unit))


def test_case_mix_of_the_prefetched_rows_on_the_fixture(engine, data):
    with engine.connect() as conn:
        for filters in AGREEMENT_FILTERS:
            pre = stats_queries.prefetch(conn, filters, ("region", "dept", "service", "channel"))
            for dim, key in (("region", "region_code"), ("dept", "dept_key")):
                want = _pandas_case_mix(stats_queries.rating_frame(conn, filters, (dim, "service", "channel")), key)
                pd.testing.assert_frame_equal(case_mix(pre.base, key, factorised=pre.factorised), want,
                                              check_exact=True, obj=f"{filters} {dim}")


def _reference_case_count_frame(rows, columns) -> pd.DataFrame:
    """The case count frame as ``_case_counts`` built it: to_frame, then each typed column set in turn."""
    frame = stats_queries.to_frame(rows, columns)
    for col in kpi.CASE_FLAGS[3:]:
        frame[col] = frame[col].astype(bool)
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    frame["n"] = frame["n"].astype("int64")
    return frame


def test_case_count_frame_equals_the_frame_set_column_by_column():
    """Flags as PostgreSQL (bools) and SQLite (0 / 1) return them, satisfaction with and without values, outcome
    never set, keys with gaps, no rows at all."""
    from feedback.stats.queries.cases import case_count_frame

    columns = ["region_code", "dept_key", *kpi.CASE_FLAGS, "n"]
    pg = [("r1", "d1", "closed", None, 4, True, True, True, False, False, 3),
          (None, "d2", "rectifying", "cannot_fix", None, False, False, False, True, True, 1),
          ("r2", None, "voided", None, 5, True, False, False, True, False, 2)]
    sqlite = [(r, d, st, out, sat, *(int(f) for f in flags), n) for r, d, st, out, sat, *flags, n in
              ((*row[:10], row[10]) for row in pg)]
    no_outcome = [(*row[:3], None, *row[4:]) for row in pg]
    no_satisfaction = [(*row[:4], None, *row[5:]) for row in pg]
    for rows in (pg, sqlite, no_outcome, no_satisfaction, pg[:1], []):
        pd.testing.assert_frame_equal(case_count_frame(rows, columns), _reference_case_count_frame(rows, columns))
    flags_only = [row[2:] for row in pg]
    pd.testing.assert_frame_equal(case_count_frame(flags_only, columns[2:]),
                                  _reference_case_count_frame(flags_only, columns[2:]))


def _frame_kpis(table: pd.DataFrame) -> dict:
    """The headline KPIs of a one-row KPI table, column by column (what rating_kpis / case_kpis did)."""
    return {k: kpi._clean(table[k].iloc[0]) for k in table.columns}


def _pandas_top_services(frame: pd.DataFrame, n: int, gib: bool) -> pd.DataFrame:
    """rankings.top_services as the sorted KPI table (the form its ranking on columns replaced)."""
    t = kpi.rating_table(frame, ["service_key"], good_includes_basic=gib, names=["service_name"])
    t = t[t["bad"] > 0].sort_values(["bad", "bad_rate", "service_key"], ascending=[False, False, True])
    return t.head(n).reset_index(drop=True)


def test_headline_kpis_and_top_services_equal_their_table_forms(engine, data):
    """rating_kpis / case_kpis read the KPI columns without building a table, and top_services / service_table
    rank the columns: the same values and Python types as from the tables, on every agreement filter set (the
    prefetched rows and the queries' frames), with 基本满意 counted as good or not."""
    from datetime import date

    from feedback.stats import rankings

    today = date(2026, 3, 25)
    for filters in AGREEMENT_FILTERS:
        with engine.connect() as conn:
            pre = stats_queries.prefetch(conn, filters, ("region", "dept", "service", "channel"))
            counts = stats_queries.case_counts(conn, filters, ("dept",), today=today)
            prev = filters.with_period(date(2026, 2, 1), date(2026, 2, 28))
            for gib in (True, False):
                for rows, factorised in ((pre.base, pre.factorised), (pre.base, None),
                                         (stats_queries.rating_frame(conn, filters), None)):
                    got = kpi.rating_kpis(rows, good_includes_basic=gib, factorised=factorised)
                    want = _frame_kpis(kpi.rating_table(rows, good_includes_basic=gib))
                    want["projects"] = want["projects"] or None
                    assert got == want and [type(v) for v in got.values()] == [type(v) for v in want.values()]
                got = kpi.case_kpis(counts, good_includes_basic=gib)
                want = _frame_kpis(kpi.case_table(counts, good_includes_basic=gib))
                assert got == want and [type(v) for v in got.values()] == [type(v) for v in want.values()]
                for n in (1, 5, 50):
                    pd.testing.assert_frame_equal(
                        rankings.top_services(pre.base, n, good_includes_basic=gib, factorised=pre.factorised),
                        _pandas_top_services(pre.base, n, gib), check_exact=True, obj=f"{filters} {n}")
                top = _pandas_top_services(pre.base, 5, gib)
                old = kpi.rating_table(stats_queries.rating_frame(conn, prev, ("service",)), ["service_key"],
                                       good_includes_basic=gib).set_index("service_key")["bad"]
                want = top.assign(bad_prev=top["service_key"].map(old).fillna(0).astype("int64")) if len(top) \
                    else top.assign(bad_prev=pd.Series(dtype="int64"))
                pd.testing.assert_frame_equal(rankings.service_table(conn, filters, prev, gib, prefetched=pre),
                                              want, check_exact=True, obj=str(filters))


def _pandas_top_tags(tags: pd.DataFrame, n: int) -> pd.DataFrame:
    """kpi.top_tags as a groupby of the tags sorted by count (the form its arrays replaced)."""
    valid = tags[~tags["voided"].astype(bool)]
    t = valid.groupby("tag", as_index=False)["n"].sum().sort_values(["n", "tag"], ascending=[False, True])
    t["share"] = kpi._pct(t["n"], pd.Series(t["n"].sum(), index=t.index))
    t.insert(1, "text", t["tag"].map(lambda c: getattr(kpi.tag_info(c), "text", None)))
    return t.head(n).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(6))
def test_top_tags_equal_their_groupby_form(seed):
    """Known and unknown tag codes, ties on the count (by code), voided 差评, a missing code, nothing counted."""
    from feedback.codes import TAGS

    rng = np.random.default_rng(500 + seed)
    size = int(rng.integers(1, 80))
    codes = [*sorted(TAGS)[:6], "zz-unknown", "a-unknown", None]
    tags = pd.DataFrame({"tag": pd.Series([codes[i] for i in rng.integers(0, len(codes), size)], dtype="str"),
                         "voided": rng.random(size) < 0.2, "n": rng.integers(0, 4, size)})
    for t in (tags, tags.assign(n=0), tags.assign(voided=True), tags.iloc[:0], tags.astype({"tag": object}),
              tags[tags["tag"] == "zz-unknown"]):
        for n in (1, 5, 100):
            pd.testing.assert_frame_equal(kpi.top_tags(t, n), _pandas_top_tags(t, n), check_exact=True)
