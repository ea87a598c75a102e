"""Daily rollups: idempotent, incremental by day range or batch, and faithful to records and active scores."""

from __future__ import annotations

import importlib
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, insert, select, text, update

from feedback.filters import Filters
from feedback.models import (
    ModelVersion,
    Record,
    RollupBadTag,
    RollupDaily,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyService,
    RollupQuarterly,
    RollupQuarterlyService,
    Score,
)
from feedback.stats import kpi, periods
from feedback.stats import queries as stats_queries
from feedback.stats.moves import COUNTED_TABLES
from feedback.stats.queries.sources import fits_channel, needs_fine, needs_scores, needs_units, rollup_parts
from feedback.stats.rollups import refresh_days, refresh_rollups
from tests.feedback.stats.test_kpi import AGREEMENT_FILTERS, MARCH_F, RA, insert_records, load_fixture


def snapshot(engine):
    """Every rollup row, without surrogate ids, as sorted tuples per table."""
    out = {}
    with engine.connect() as conn:
        for model in (*(t for t, _, _ in COUNTED_TABLES), RollupBadTag):  # every rollup table
            cols = [c for c in model.__table__.c if c.name != "id"]
            out[model.__tablename__] = sorted(tuple(map(str, r)) for r in conn.execute(select(*cols)).all())
    return out


def total(engine, filters=MARCH_F):
    with engine.connect() as conn:
        return kpi.rating_kpis(stats_queries.rating_frame(conn, filters))["total"]


def test_refresh_is_idempotent_and_full_rebuild_equals_incremental(engine):
    load_fixture(engine)
    full = snapshot(engine)
    assert all(full.values())
    again = refresh_rollups(engine)
    assert snapshot(engine) == full
    assert (again.fine_rows, again.unit_rows) == (len(full["rollup_daily"]), len(full["rollup_daily_unit"]))
    assert again.tag_rows == len(full["rollup_bad_tags"])
    result = refresh_rollups(engine, date(2026, 3, 1), date(2026, 3, 31))
    assert (result.start_day, result.end_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert snapshot(engine) == full
    with engine.connect() as conn:
        n = conn.execute(select(func.sum(RollupDailyUnit.n))).scalar()
        assert n == 20  # 19 ratings + 1 message
        assert conn.execute(select(func.sum(RollupDaily.n))).scalar() == n
        assert conn.execute(select(func.sum(RollupMonthly.n))).scalar() == n
        assert conn.execute(select(func.sum(RollupQuarterly.n))).scalar() == n
        assert conn.execute(select(func.sum(RollupMonthlyService.n))).scalar() == n
        assert conn.execute(select(func.sum(RollupQuarterlyService.n))).scalar() == n


def test_incremental_refresh_by_batch_touches_only_its_days(engine):
    load_fixture(engine)
    before = total(engine, Filters())
    with engine.begin() as conn:
        late = insert_records(conn, [("n1", "2026-03-31 08:00:00", 2, False, "DA", RA, "pc", "S1", "N1", 1, "110"),
                                     ("n2", "2026-04-01 08:00:00", 5, False, "DA", RA, "pc", "S1", "N2", 1, None)],
                              source="late")
        batch_id = conn.execute(select(Record.batch_id).where(Record.id == late["n1"])).scalar_one()
    assert total(engine, Filters()) == before  # not visible until refreshed
    result = refresh_rollups(engine, batch_ids=[batch_id])
    assert (result.start_day, result.end_day) == (date(2026, 3, 31), date(2026, 4, 1))
    assert total(engine, Filters()) == before + 2
    assert total(engine) == 11
    with engine.connect() as conn:
        assert periods.latest_month(conn) == "2026-04"
        tags = stats_queries.bad_tag_frame(conn, MARCH_F)
    assert tags.groupby("tag")["n"].sum().to_dict()["110"] == 3
    incremental = snapshot(engine)
    refresh_rollups(engine)
    assert snapshot(engine) == incremental
    assert refresh_rollups(engine, batch_ids=[]).fine_rows == 0


def test_new_active_model_version_needs_a_refresh_and_then_counts(engine):
    ids = load_fixture(engine)
    with engine.begin() as conn:
        conn.execute(update(ModelVersion).values(active=False))
        conn.execute(insert(ModelVersion).values(version="v2", kind="scoring", description="{}", active=True,
                                                 created_at=datetime(2026, 4, 2)))
        for key in ("m1", "m2"):
            conn.execute(insert(Score).values(record_id=ids[key], model_version="v2", sentiment="neg",
                                              sentiment_score=0.1, hidden_complaint=True, category="guide_info",
                                              scored_at=datetime(2026, 4, 2)))
    with engine.connect() as conn:
        stale = kpi.rating_kpis(stats_queries.rating_frame(conn, MARCH_F))
        fresh = kpi.rating_kpis(stats_queries.rating_frame(conn, MARCH_F, raw=True))
    assert (stale["hidden_complaints"], fresh["hidden_complaints"]) == (1, 2)
    refresh_rollups(engine)
    with engine.connect() as conn:
        assert kpi.rating_kpis(stats_queries.rating_frame(conn, MARCH_F)) == fresh
        guide = kpi.rating_kpis(stats_queries.rating_frame(conn, Filters(categories=("guide_info",))))
    assert guide["total"] == 2


def test_unit_table_and_fine_table_agree(engine):
    load_fixture(engine)
    with engine.connect() as conn:
        coarse = stats_queries.counts(conn, Filters(), ("month", "dept", "channel"))
        fine_src = stats_queries.counts(conn, Filters(services=("S1", "S2", "S3")), ("month", "dept", "channel"))
        msgs = stats_queries.counts(conn, Filters(kinds=("message",)), ("kind",))
    with_service = coarse[coarse.channel.notna()].reset_index(drop=True)  # the message has no service
    assert with_service.equals(fine_src.reset_index(drop=True))
    assert msgs[["kind", "n"]].values.tolist() == [["message", 1]]


def test_refresh_days_rejects_reversed_range(engine):
    with engine.begin() as conn, pytest.raises(ValueError, match="after"):
        refresh_days(conn, date(2026, 3, 2), date(2026, 3, 1))


def test_unknown_dimension_is_an_error(engine):
    with engine.connect() as conn, pytest.raises(ValueError, match="unknown dimension"):
        stats_queries.counts(conn, Filters(), ("weekday",))


def test_midnight_ratings_stored_as_etl_text_stay_on_their_day(engine):
    """The ETL writes 'YYYY-MM-DD HH:MM:SS' (no microseconds) on SQLite: a rating at 00:00:00 must still fall
    on its own day in incremental refreshes and raw queries."""
    load_fixture(engine)
    with engine.begin() as conn:
        ids = insert_records(conn, [("mid", "2026-04-01 00:00:00", 5, False, "DA", RA, "pc", "S1", "M1", 1, None)],
                             source="etl")
        conn.execute(text("UPDATE records SET rated_at = '2026-04-01 00:00:00' WHERE id = :id"), {"id": ids["mid"]})
    refresh_rollups(engine, date(2026, 4, 1), date(2026, 4, 1))
    april = Filters(start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert total(engine, april) == 1
    with engine.connect() as conn:
        assert kpi.rating_kpis(stats_queries.rating_frame(conn, april, raw=True))["total"] == 1
        assert kpi.rating_kpis(stats_queries.rating_frame(conn, MARCH_F, raw=True))["total"] == 10


def test_periods_split_into_whole_months_and_edge_days():
    from feedback.stats.queries import rollup_parts

    def spans(f):
        return [(src.day.table.name, p.start, p.end) for src, p in rollup_parts(f)]

    d = date
    assert spans(Filters(start=d(2026, 3, 1), end=d(2026, 3, 31))) == [
        ("rollup_monthly_unit", d(2026, 3, 1), d(2026, 3, 1))]
    assert spans(Filters(start=d(2025, 3, 15), end=d(2026, 3, 5))) == [
        ("rollup_monthly_unit", d(2025, 4, 1), d(2026, 2, 1)),
        ("rollup_daily_unit", d(2025, 3, 15), d(2025, 3, 31)), ("rollup_daily_unit", d(2026, 3, 1), d(2026, 3, 5))]
    assert spans(Filters(start=d(2026, 2, 15), end=d(2026, 3, 10))) == [
        ("rollup_daily_unit", d(2026, 2, 15), d(2026, 3, 10))]
    assert spans(Filters()) == [("rollup_monthly_unit", None, None)]
    assert spans(Filters(start=d(2026, 12, 2))) == [
        ("rollup_monthly_unit", d(2027, 1, 1), None), ("rollup_daily_unit", d(2026, 12, 2), d(2026, 12, 31))]
    # questions about services, sentiment or category split the same way over the fine tables
    assert [(src.day.table.name, p.start, p.end) for src, p in rollup_parts(
        Filters(start=d(2025, 3, 15), end=d(2026, 3, 5)), fine=True)] == [
        ("rollup_monthly", d(2025, 4, 1), d(2026, 2, 1)),
        ("rollup_daily", d(2025, 3, 15), d(2025, 3, 31)), ("rollup_daily", d(2026, 3, 1), d(2026, 3, 5))]


def test_whole_quarters_of_a_fine_question_with_units_come_from_the_quarterly_table():
    from feedback.stats.queries import rollup_parts

    def spans(f, **kw):
        return [(src.day.table.name, p.start, p.end) for src, p in rollup_parts(f, fine=True, quarters=True, **kw)]

    d = date
    # 2025-03-15 .. 2026-03-05: edge days, April-June / July-September / October-December as quarters, Jan-Feb
    assert spans(Filters(start=d(2025, 3, 15), end=d(2026, 3, 5))) == [
        ("rollup_quarterly", d(2025, 4, 1), d(2025, 10, 1)), ("rollup_monthly", d(2026, 1, 1), d(2026, 2, 1)),
        ("rollup_daily", d(2025, 3, 15), d(2025, 3, 31)), ("rollup_daily", d(2026, 3, 1), d(2026, 3, 5))]
    # the 总览's year: November-December, three quarters, October
    assert spans(Filters(start=d(2025, 11, 1), end=d(2026, 10, 31))) == [
        ("rollup_quarterly", d(2026, 1, 1), d(2026, 7, 1)), ("rollup_monthly", d(2025, 11, 1), d(2025, 12, 1)),
        ("rollup_monthly", d(2026, 10, 1), d(2026, 10, 1))]
    assert spans(Filters(start=d(2026, 7, 1), end=d(2026, 9, 30))) == [("rollup_quarterly", d(2026, 7, 1),
                                                                         d(2026, 7, 1))]
    # no whole quarter, an open end, no units or not fine: months as before
    assert spans(Filters(start=d(2026, 2, 1), end=d(2026, 4, 30))) == [("rollup_monthly", d(2026, 2, 1),
                                                                         d(2026, 4, 1))]
    assert spans(Filters(end=d(2026, 6, 30))) == [("rollup_monthly", None, d(2026, 6, 1))]
    assert spans(Filters(start=d(2026, 1, 1), end=d(2026, 6, 30)), units=False) == [
        ("rollup_monthly_channel", d(2026, 1, 1), d(2026, 6, 1))]
    assert [(src.day.table.name, p.start, p.end) for src, p in rollup_parts(
        Filters(start=d(2026, 1, 1), end=d(2026, 6, 30)), quarters=True)] == [
        ("rollup_monthly_unit", d(2026, 1, 1), d(2026, 6, 1))]
    # a service question by unit without sentiment or category: the service tables (the daily edges stay fine)
    assert spans(Filters(start=d(2025, 3, 15), end=d(2026, 3, 5)), scores=False) == [
        ("rollup_quarterly_service", d(2025, 4, 1), d(2025, 10, 1)),
        ("rollup_monthly_service", d(2026, 1, 1), d(2026, 2, 1)),
        ("rollup_daily", d(2025, 3, 15), d(2025, 3, 31)), ("rollup_daily", d(2026, 3, 1), d(2026, 3, 5))]
    assert spans(Filters(start=d(2026, 2, 1), end=d(2026, 4, 30)), scores=False) == [
        ("rollup_monthly_service", d(2026, 2, 1), d(2026, 4, 1))]
    assert spans(Filters(start=d(2026, 1, 1), end=d(2026, 6, 30)), units=False, scores=False) == [
        ("rollup_monthly_channel", d(2026, 1, 1), d(2026, 6, 1))]


def test_quarterly_counts_equal_the_monthly_ones(engine, monkeypatch):
    """A question over whole quarters gives the same frame from rollup_quarterly as from the months (and the
    records: test_kpi's agreement test)."""
    load_fixture(engine)
    periods_ = [Filters(start=date(2025, 1, 1), end=date(2026, 3, 31)), Filters(start=date(2025, 3, 9)),
                Filters(start=date(2025, 3, 9), end=date(2026, 3, 31), regions=(RA,))]
    splits = [("region", "dept", "service", "channel", "level", "is_default", "voided"), ("service",),
              ("dept", "category"), ()]
    with engine.connect() as conn:
        counts_module = importlib.import_module("feedback.stats.queries.counts")
        got = [stats_queries.counts(conn, f, by) for f in periods_ for by in splits]
        original = counts_module.rollup_parts
        monkeypatch.setattr(counts_module, "rollup_parts",
                            lambda f, fine=False, units=True, quarters=False, scores=True:
                            original(f, fine, units, scores=scores))
        want = [stats_queries.counts(conn, f, by) for f in periods_ for by in splits]
    assert sum(len(w) for w in want) > 30
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w)


@pytest.mark.parametrize(("revision", "tables"), [
    ("0009", ("rollup_monthly",)),  # from rollup_daily
    ("0017", ("rollup_daily_channel", "rollup_monthly_channel")),  # from rollup_daily_unit and rollup_monthly
    ("0018", ("rollup_quarterly",)),  # from rollup_monthly
    ("0020", ("rollup_monthly_service", "rollup_quarterly_service")),  # from rollup_monthly and rollup_quarterly
])
def test_migration_fills_its_rollups_as_a_refresh_does(engine, revision, tables):
    """An existing database gets the rollup tables a migration adds filled by the migration (no full refresh
    needed): the rows equal what the refresh writes."""
    from alembic import command

    from feedback.db import alembic_config, upgrade

    load_fixture(engine)
    refreshed = {t: snapshot(engine)[t] for t in tables}
    assert all(refreshed.values())
    assert len({r[0] for r in snapshot(engine)["rollup_quarterly"]}) >= 2  # the fixture spans several quarters
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, f"{int(revision) - 1:04d}")
    upgrade(engine)
    assert {t: snapshot(engine)[t] for t in tables} == refreshed


CHANNEL_SPLITS = [(), ("day",), ("month",), ("channel",), ("kind",), ("level", "is_default", "voided"),
                  ("day", "level", "is_default", "voided"), ("month", "channel", "level")]


@pytest.mark.parametrize("ratings_only", [False, True])
def test_channel_table_answers_as_the_unit_tables(engine, monkeypatch, ratings_only):
    """Questions without department, region or a fine dimension read rollup_daily_channel: the same frames as
    the unit tables give them (which the tests above hold to the records)."""
    load_fixture(engine)
    late = [Filters(channels=("pc",), levels=(1, 2, 5)), Filters(kinds=("message",)),
            Filters(start=date(2026, 3, 2), end=date(2026, 3, 3), channels=("default",))]
    cases = [(f, by) for f in [*AGREEMENT_FILTERS, *late] for by in CHANNEL_SPLITS
             if fits_channel(f, by)]
    assert len(cases) > 40
    with engine.connect() as conn:
        got = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
        counts_module = importlib.import_module("feedback.stats.queries.counts")  # not the re-exported function
        monkeypatch.setattr(counts_module, "fits_channel", lambda f, by: False)
        want = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
    assert sum(len(w) for w in want) > 100
    for (f, by), g, w in zip(cases, got, want, strict=True):
        pd.testing.assert_frame_equal(g, w, obj=f"{f} {by}")


FINE_SPLITS = [("service",), ("category",), ("sentiment",), ("category", "kind", "level", "is_default", "voided"),
               ("month", "service", "channel"), ("service", "level", "is_default", "voided")]


@pytest.mark.parametrize("ratings_only", [False, True])
def test_monthly_channel_table_answers_as_the_fine_tables(engine, monkeypatch, ratings_only):
    """Service, sentiment and category questions without department or region read their whole months from
    rollup_monthly_channel: the same frames as rollup_monthly gives them."""
    load_fixture(engine)
    cases = [(f, by) for f in AGREEMENT_FILTERS for by in [*FINE_SPLITS, *CHANNEL_SPLITS]
             if not needs_units(f, by) and not fits_channel(f, by)]
    assert len(cases) > 40
    with engine.connect() as conn:
        got = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
        counts_module = importlib.import_module("feedback.stats.queries.counts")
        monkeypatch.setattr(counts_module, "needs_units", lambda f, by: True)
        want = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
    assert sum(len(w) for w in want) > 100
    for (f, by), g, w in zip(cases, got, want, strict=True):
        pd.testing.assert_frame_equal(g, w, obj=f"{f} {by}")


SERVICE_SPLITS = [("region", "dept", "service", "channel", "level", "is_default", "voided"), ("dept", "service"),
                  ("service", "level", "is_default", "voided"), ("region", "service"), ("dept",), ("service",)]


@pytest.mark.parametrize("ratings_only", [False, True])
def test_service_tables_answer_as_the_fine_tables(engine, monkeypatch, ratings_only):
    """Service questions by department or region without sentiment or category read their whole months and
    quarters from rollup_monthly_service and rollup_quarterly_service: the same frames as rollup_monthly and
    rollup_quarterly give them (which the agreement tests hold to the records)."""
    load_fixture(engine)
    periods_ = [Filters(start=date(2025, 1, 1), end=date(2026, 3, 31)), Filters(start=date(2025, 3, 9)),
                Filters(start=date(2025, 3, 9), end=date(2026, 3, 31), regions=(RA,))]
    cases = [(f, by) for f in [*AGREEMENT_FILTERS, *periods_] for by in SERVICE_SPLITS
             if needs_units(f, by) and needs_fine(f, by) and not needs_scores(f, by)]
    assert len(cases) > 30
    with engine.connect() as conn:
        tables = {src.day.table.name for f, by in cases
                  for src, _ in rollup_parts(f, True, True, quarters="month" not in by, scores=False)}
        assert {"rollup_monthly_service", "rollup_quarterly_service"} <= tables  # both are read
        got = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
        counts_module = importlib.import_module("feedback.stats.queries.counts")
        monkeypatch.setattr(counts_module, "needs_scores", lambda f, by: True)
        want = [stats_queries.counts(conn, f, by, ratings_only=ratings_only) for f, by in cases]
    assert sum(len(w) for w in want) > 100
    for (f, by), g, w in zip(cases, got, want, strict=True):
        pd.testing.assert_frame_equal(g, w, obj=f"{f} {by}")


def test_bulk_read_gives_the_same_frames(engine):
    """``counts(bulk=True)`` reads a large result as one CSV value parsed by Arrow on PostgreSQL
    (feedback.stats.queries.bulk): the same frames as row by row, also for names with commas, quotes, line breaks,
    backslashes, an empty name and words that Arrow would otherwise read as missing (NA, null). On SQLite both are
    the same path."""
    load_fixture(engine)
    odd = [("o1", "2026-03-09 10:00:00", 1, False, 'D,"1"', RA, "pc", "NA", "P9", 1, None),
           ("o2", "2026-03-10 10:00:00", 4, False, "D\n2", RA, "null", "S,2", None, None, None),
           ("o3", "2026-03-11 10:00:00", 2, True, None, None, "", "'S3'", "P10", 2, None),
           ("o4", "2026-03-12 10:00:00", 1, False, "D\\4\\", RA, "x\\", 'S"\\', None, 3, None)]
    with engine.begin() as conn:
        insert_records(conn, odd, source="odd")
    refresh_rollups(engine)
    splits = [("region", "dept", "service", "channel", "level", "is_default", "voided"), ("dept",),
              ("service", "category"), ("month", "kind"), ()]
    with engine.connect() as conn:
        for f in [*AGREEMENT_FILTERS, Filters(depts=('D,"1"', "D\n2")), Filters(start=date(2030, 1, 1))]:
            for by in splits:
                bulk = stats_queries.counts(conn, f, by, bulk=True, ratings_only=True)
                rows = stats_queries.counts(conn, f, by, ratings_only=True)
                pd.testing.assert_frame_equal(bulk, rows, obj=f"{f} {by}")
        names = set(stats_queries.counts(conn, Filters(), ("dept",), bulk=True)["dept_name"].dropna())
        channels = stats_queries.counts(conn, Filters(), ("channel",), bulk=True)["channel"].tolist()
    assert {'部门D,"1"', "部门D\n2", "部门D\\4\\"} <= names
    assert "" in channels and "null" in channels
