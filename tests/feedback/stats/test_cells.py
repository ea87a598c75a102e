"""The 总览's prefetched frame grouped by the service rollups' cell numbers (feedback.stats.queries.cells): the
same sums as the frame grouped by its text columns, in every period shape, and never trusted where one number
stands for two texts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select, update

from feedback.filters import Filters
from feedback.models import Record, RollupMonthlyService, RollupQuarterlyService
from feedback.stats import queries as stats_queries
from feedback.stats.queries import cells
from feedback.stats.queries.sources import RATING_DIMS, needs_scores, rollup_parts
from feedback.stats.rollups import refresh_rollups
from tests.feedback.stats.test_kpi import AGREEMENT_FILTERS, RA, A, insert_records, load_fixture

BY = ("region", "dept", "service", "channel", *RATING_DIMS)
KEYS = ["region_code", "dept_key", "service_key", "channel", *RATING_DIMS]
ODD = [("o1", "2026-03-09 10:00:00", 1, False, 'D,"1"', RA, "pc", "NA", "P9", 1, None),
       ("o2", "2026-03-10 10:00:00", 4, False, "D\n2", RA, "null", "S,2", None, None, None),
       ("o3", "2026-03-11 10:00:00", 2, True, None, None, "", "'S3'", "P10", 2, None),
       ("o4", "2026-01-12 10:00:00", 1, False, A, RA, "pc", "S1", None, 3, None)]


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame summed by its keys (names as max()), in key order: what every reader of a prefetched frame sees."""
    return stats_queries.regroup(frame, ["region", "dept", "service", "channel", *RATING_DIMS])


@pytest.fixture
def loaded(engine):
    load_fixture(engine)
    with engine.begin() as conn:
        insert_records(conn, ODD, source="odd")
        # department A renamed in January: one key, two names in a period that spans it
        conn.execute(update(Record).where(Record.record_key == "o4").values(dept_name="部门A（新）"))
    refresh_rollups(engine)
    return engine


def test_frames_by_cell_sum_to_the_frames_by_text(loaded):
    if loaded.dialect.name != "postgresql":
        pytest.skip("cell numbers are PostgreSQL's (hash_record_extended); SQLite groups by text")
    periods = [*AGREEMENT_FILTERS, Filters(start=date(2025, 1, 1), end=date(2026, 3, 31)),
               Filters(start=date(2026, 1, 10), end=date(2026, 3, 20)), Filters(depts=('D,"1"', "D\n2"))]
    texts = cells.CellTexts()
    used = 0
    with loaded.connect() as conn:
        for f in periods:
            # as counts() splits the period (a filter on sentiment or category: the fine tables, cells computed)
            parts = rollup_parts(f, True, True, quarters=True, scores=needs_scores(f, BY))
            assert cells.fits(conn, BY, parts)
            used += 1
            columns = [*KEYS[:4], *RATING_DIMS, "dept_name", "service_name", "n", "projects", "hidden"]
            frame = cells.read_frame(conn, parts, columns, texts)
            text = stats_queries.counts(conn, f, BY, ratings_only=True)
            if text.empty:
                assert frame is None
                continue
            assert list(frame.columns) == columns and frame.dtypes.to_dict() == text.dtypes.to_dict()
            # one row per cell: a stored number (months, quarters) and a computed one (edge days) agree
            assert not frame.duplicated(subset=[*KEYS, "dept_name", "service_name"]).any(), f
            pd.testing.assert_frame_equal(by_key(frame), by_key(text), obj=str(f))
        # what the 总览 calls: the prefetched frame, by cell, equal by key to the one grouped by text
        year = Filters(start=date(2025, 2, 15), end=date(2026, 3, 31))
        got = stats_queries.prefetch(conn, year, ("region", "dept", "service", "channel")).base
        renamed = got[got["dept_key"] == A]["dept_name"]
    assert used >= 10 and len(texts) > 5
    assert set(renamed) == {"部门DA", "部门A（新）"}  # a row per name; the readers take max(), as SQL did
    summed = by_key(got)
    assert set(summed[summed["dept_key"] == A]["dept_name"]) == {"部门DA"}  # max('部门A（新）', '部门DA')


def test_cells_are_stored_by_the_database(loaded):
    if loaded.dialect.name != "postgresql":
        pytest.skip("cell numbers are PostgreSQL's; SQLite leaves the column empty")
    with loaded.connect() as conn:
        for model in (RollupMonthlyService, RollupQuarterlyService):
            rows = conn.execute(select(model.cell, model.region_code, model.dept_code, model.dept_name,
                                       model.service_code, model.service_name, model.channel)).all()
            assert rows and all(r.cell is not None for r in rows)
            by_text: dict[tuple, set] = {}
            for r in rows:
                by_text.setdefault(tuple(r[1:]), set()).add(r.cell)
            assert all(len(c) == 1 for c in by_text.values())  # the same texts, the same number
            assert len({next(iter(c)) for c in by_text.values()}) == len(by_text)  # different texts, different


def test_a_number_with_two_texts_is_not_trusted(loaded, monkeypatch):
    if loaded.dialect.name != "postgresql":
        pytest.skip("cell numbers are PostgreSQL's")
    f = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
    with loaded.connect() as conn:
        parts = rollup_parts(f, True, True, quarters=True, scores=False)
        real = conn.execute(select(RollupQuarterlyService.cell).limit(1)).scalar()
        # a process that believes the number stands for other texts (as after a hash collision)
        wrong = cells.CellTexts()
        wrong.known = (np.array([real], dtype="int64"),
                       pa.table({c: pa.array(["别的"], pa.string()) for c in wrong.known[1].column_names}))
        assert wrong.learn(conn, parts) is False and len(wrong) == 1  # nothing kept
        columns = [*KEYS[:4], *RATING_DIMS, "dept_name", "service_name", "n", "projects", "hidden"]
        assert cells.read_frame(conn, parts, columns, wrong) is None
        monkeypatch.setattr(cells, "CELL_TEXTS", wrong)
        got = stats_queries.prefetch(conn, f, ("region", "dept", "service", "channel")).base
        want = stats_queries.counts(conn, f, BY, ratings_only=True)
    assert "别的" not in set(got["dept_name"].dropna())
    pd.testing.assert_frame_equal(by_key(got), by_key(want))  # grouped by text instead
