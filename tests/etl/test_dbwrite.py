"""The fast record writers store exactly what the transform produced, skip existing keys and count honestly."""

from __future__ import annotations

import gc
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import select

from etl import dbwrite
from etl.pipeline import _context, resolve_profile
from etl.sources.detect import open_source
from etl.transform.chunk import transform
from feedback.models import RECORD_COLUMNS, Record
from feedback.records import repository
from tests.etl.test_pipeline import national_rows, write_csv

TRICKY = ['引号"和,逗号', "换行\n后", "反斜杠 \\N 与 \\", "", "NULL", "\\N", "é✓𠀀"]


def records_frame(settings, tmp_path, n: int = 12) -> pd.DataFrame:
    rows = national_rows(n)
    for i, row in enumerate(rows):
        row["assessNumber"] = "" if i % 4 == 1 else str(1 + i % 3)
    src = open_source(write_csv(tmp_path / "n.csv", rows))
    prof = resolve_profile(src.headers, "national", settings)
    frame = transform(next(src.chunks()), prof, _context(settings, "national", "n.csv")).records
    text = frame["text"].astype(object)
    for i, value in enumerate(TRICKY):
        text.iloc[i] = value
    frame["text"] = text.astype(frame["text"].dtype)
    frame["rated_at"] = frame["rated_at"] + pd.to_timedelta(frame.index * 1_234_567, unit="us")  # sub-seconds
    frame["is_anonymous"] = pd.array([None, True, False] * (n // 3), dtype="boolean")
    frame["votes_up"] = pd.array([None, 0, 2**31 - 1] * (n // 3), dtype="Int64")
    return frame


def expected(frame: pd.DataFrame) -> list[tuple]:
    """The rows ``stored`` should read back, in its order (by id)."""
    out = []
    for rec in frame.sort_values("id").itertuples(index=False):
        row = []
        for name, value in zip(RECORD_COLUMNS, rec, strict=True):
            if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
                row.append(None)
            elif isinstance(value, pd.Timestamp):
                row.append(value.to_pydatetime().replace(microsecond=0))
            elif name.startswith("is_"):
                row.append(bool(value))
            elif isinstance(value, str):
                row.append(value)
            else:
                row.append(int(value))
        out.append(tuple(row))
    return out


def new_batch(engine) -> int:
    with engine.begin() as conn:
        return repository.create_batch(conn, source_system="national", profile="national", file_name="n.csv",
                                       sha256="x")


def stored(engine) -> list[tuple]:
    cols = [getattr(Record, c) for c in RECORD_COLUMNS]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(Record.id)).all()]


def test_values_round_trip_and_existing_keys_are_skipped(engine, settings, tmp_path):
    frame = records_frame(settings, tmp_path)
    batch = new_batch(engine)
    with engine.begin() as conn:
        assert dbwrite.insert_records(conn, batch, frame.iloc[:8]) == 8
    with engine.begin() as conn:
        assert dbwrite.insert_records(conn, batch, frame) == 4  # 8 keys exist already
    got = stored(engine)
    assert got == expected(frame)
    by_key = {r[RECORD_COLUMNS.index("record_key")]: r for r in got}
    first, fourth = by_key[frame["record_key"][0]], by_key[frame["record_key"][3]]
    assert first[RECORD_COLUMNS.index("text")] == TRICKY[0]
    assert fourth[RECORD_COLUMNS.index("text")] == ""  # an empty text stays empty, not NULL
    assert isinstance(first[RECORD_COLUMNS.index("rated_at")], datetime)
    assert [r[0] for r in got] == sorted(int(i) for i in frame["id"])  # the ids the transform made
    with engine.connect() as conn:
        assert set(conn.execute(select(Record.batch_id)).scalars()) == {batch}


def test_sqlite_slices_store_every_row_and_count(engine, settings, tmp_path, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite writer")
    monkeypatch.setattr(dbwrite, "SQLITE_SLICE", 5)
    frame = records_frame(settings, tmp_path, n=12)
    with engine.begin() as conn:
        assert dbwrite.insert_records(conn, new_batch(engine), frame.iloc[::-1]) == 12
    assert stored(engine) == expected(frame)
    assert gc.isenabled()


def test_a_failing_insert_rolls_back_and_restores_the_collector(engine, settings, tmp_path):
    frame = records_frame(settings, tmp_path)
    with pytest.raises(Exception):  # noqa: B017,PT011 - the driver's own error type
        with engine.begin() as conn:
            dbwrite.insert_records(conn, 987_654, frame)  # no such batch: the foreign key refuses the rows
    assert gc.isenabled()
    assert stored(engine) == []
