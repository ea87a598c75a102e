"""The Arrow (ADBC) bulk path stores and counts exactly what the fallback path does, and its staging tables never
leak rows into a later chunk."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from etl import dbwrite, stage
from etl.pipeline import ingest_file
from feedback.models import RECORD_COLUMNS
from tests.etl.test_dbwrite import expected, new_batch, records_frame, stored
from tests.etl.test_pipeline import national_rows, write_csv


@pytest.fixture
def adbc(engine):
    if not stage.available(engine.dialect.name):
        pytest.skip(f"ADBC driver for {engine.dialect.name} not installed")
    return engine


def _snapshot(engine) -> tuple[list[tuple], list[tuple]]:
    cols = ", ".join(f'"{c}"' for c in RECORD_COLUMNS)
    with engine.connect() as conn:
        records = [tuple(r) for r in conn.execute(text(f"SELECT {cols} FROM records ORDER BY id"))]  # noqa: S608
        rejects = [tuple(r) for r in conn.execute(text('SELECT row_number, "column", reason, raw FROM rejects '
                                                        "ORDER BY id"))]
    return records, rejects


def _empty(engine) -> None:
    with engine.begin() as conn:
        for table in ("rejects", "records", "batches"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608


def _load_twice(engine, settings, path) -> tuple:
    first = ingest_file(engine, settings, path, profile="national")
    again = ingest_file(engine, settings, path, profile="national")
    return ((first.read, first.loaded, first.duplicate, first.rejected),
            (again.read, again.loaded, again.duplicate, again.rejected), _snapshot(engine))


def test_adbc_and_fallback_store_and_count_the_same(adbc, settings, tmp_path, monkeypatch):
    rows = national_rows(2500)  # three chunks of 1000
    rows[7]["satisfaction"] = "9"
    rows[1500]["projectNo"] = ""
    rows.append(dict(rows[3]))
    for i in range(0, 2500, 7):
        rows[i]["writingEvaluation"] = '引号"和,逗号\n换行 \\N'
    path = write_csv(tmp_path / "n.csv", rows)

    assert dbwrite.write_path(adbc.dialect.name) == "adbc"
    via_adbc = _load_twice(adbc, settings, path)
    _empty(adbc)
    monkeypatch.setattr(dbwrite, "USE_ADBC", False)
    assert dbwrite.write_path(adbc.dialect.name) in ("executemany", "copy-csv")
    via_fallback = _load_twice(adbc, settings, path)

    assert via_adbc[0] == via_fallback[0] == (2501, 2498, 1, 2)
    assert via_adbc[1] == via_fallback[1] == (2501, 0, 2499, 2)  # nothing loaded the second time
    assert via_adbc[2] == via_fallback[2]  # identical records (every column) and rejects
    assert len(via_adbc[2][0]) == 2498


def test_values_round_trip_through_the_stage(adbc, settings, tmp_path):
    frame = records_frame(settings, tmp_path)
    with adbc.begin() as conn:
        assert dbwrite.insert_records(conn, new_batch(adbc), frame) == len(frame)
    assert stored(adbc) == expected(frame)


def test_a_rolled_back_chunk_left_in_the_stage_is_not_stored_or_counted(adbc, settings, tmp_path):
    frame = records_frame(settings, tmp_path)
    batch = new_batch(adbc)
    with pytest.raises(RuntimeError, match="crash"):
        with adbc.begin() as conn:
            assert dbwrite.insert_records(conn, batch, frame) == len(frame)  # staged, then rolled back
            raise RuntimeError("crash before the checkpoint")
    assert stored(adbc) == []
    with adbc.begin() as conn:
        assert dbwrite.insert_records(conn, batch, frame.iloc[:4]) == 4  # the stage's leftover rows are gone
    with adbc.begin() as conn:
        assert dbwrite.insert_records(conn, batch, frame) == len(frame) - 4
    assert stored(adbc) == expected(frame)


def test_two_writes_in_one_transaction(adbc, settings, tmp_path):
    """The second fill of the stage cannot wait for the caller's own open transaction (PostgreSQL: TRUNCATE
    would; DELETE is used)."""
    frame = records_frame(settings, tmp_path)
    batch = new_batch(adbc)
    with adbc.begin() as conn:
        assert dbwrite.insert_records(conn, batch, frame.iloc[:8]) == 8
        assert dbwrite.insert_records(conn, batch, frame) == len(frame) - 8
    assert stored(adbc) == expected(frame)


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def test_stages_of_dead_loaders_are_removed(adbc, settings, tmp_path):
    frame = records_frame(settings, tmp_path)
    if adbc.dialect.name == "sqlite":
        dead = Path(tempfile.gettempdir()) / f"haocha-stage-{_dead_pid()}-test"
        dead.mkdir()
        (dead / "stage.db").write_bytes(b"left by a killed load")
        mine = Path(tempfile.mkdtemp(prefix=f"haocha-stage-{os.getpid()}-"))  # a live process's stage stays
    else:
        with adbc.begin() as conn:
            conn.execute(text("CREATE UNLOGGED TABLE _haocha_stage_99999999 (x int)"))  # no such backend
    with adbc.begin() as conn:
        assert dbwrite.insert_records(conn, new_batch(adbc), frame) == len(frame)
    if adbc.dialect.name == "sqlite":
        assert not dead.exists()
        assert mine.exists()
        mine.rmdir()
    else:
        with adbc.connect() as conn:
            names = conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_haocha\\_stage%'"))
            assert "_haocha_stage_99999999" not in set(names.scalars())


def test_no_adbc_under_a_tight_memory_cap(adbc):
    """The drivers' C++ code aborts the process when it cannot allocate: with little room left, the fallback."""
    from feedback.isolate import Limits, limited

    name = adbc.dialect.name
    with limited(Limits(memory_mb=16, timeout_s=0)):
        assert not stage.available(name)
        assert dbwrite.write_path(name) != "adbc"
    with limited(Limits(memory_mb=1024, timeout_s=0)):
        assert stage.available(name)
    assert dbwrite.write_path(name) == "adbc"


def test_postgres_pipelined_stages_are_used_and_dropped(adbc, settings, tmp_path, monkeypatch):
    if adbc.dialect.name != "postgresql":
        pytest.skip("the pipelined stages are PostgreSQL's")
    import etl.load

    fills = []
    real = etl.load.stage_postgres
    monkeypatch.setattr(etl.load, "stage_postgres", lambda pg, *a: fills.append(pg.name) or real(pg, *a))
    path = write_csv(tmp_path / "n.csv", national_rows(3500))
    handed = []
    real_write = etl.load.write_chunk
    monkeypatch.setattr(etl.load, "write_chunk",
                        lambda *a: handed.append(list(a[3].records.columns)) or real_write(*a))
    res = ingest_file(adbc, settings, path, profile="national")
    assert (res.read, res.loaded) == (3500, 3500)
    # four chunks: the first staged inside its write, the next three by the loading thread in two stages by turns
    assert len(fills) == 3 and fills[0] == fills[2] != fills[1]
    # a staged chunk waits for the writer without its text and other columns
    assert [cols == list(etl.load.WRITE_COLUMNS) for cols in handed] == [False, True, True, True]
    again = ingest_file(adbc, settings, path, profile="national")  # every id stored: told from collisions
    assert (again.read, again.loaded, again.duplicate, again.rejected) == (3500, 0, 3500, 0)
    with adbc.connect() as conn:
        left = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE '\\_haocha\\_stage%'"))
                   .scalars())
    assert not left & set(fills)  # the load's own stages are dropped when it ends
