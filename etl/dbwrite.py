"""Writing transformed records fast. Records whose id (from the natural key) exists are skipped.

With the ADBC drivers installed (the usual case), the chunk goes from Arrow into a staging table in C
(``etl.stage``: a scratch SQLite file, or an UNLOGGED PostgreSQL table filled by binary COPY), then one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` in the caller's transaction stores it and counts it.
Without them (``write_path`` says which runs): SQLite ``executemany`` on plain tuples built column by column,
PostgreSQL ``COPY`` of Arrow-written CSV into a temporary table."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Boolean, Connection, DateTime, Engine, Integer

from etl import stage
from feedback.db import libpq_url
from feedback.models import RECORD_COLUMNS, Record
from feedback.records.partitions import repository as partitions

__all__ = ["PG_STAGE_SCHEMA", "TIME_FORMAT", "insert_records", "pg_uri", "sqlite_columns", "stage_postgres", "write_path"]

USE_ADBC = True  # False: always the fallback path (benchmarks and tests compare the two)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SQLITE_SLICE = 10_000  # rows turned into Python tuples at a time (bounds the memory of one chunk's parameters)
SQLITE_CACHE_KB = 32 << 10  # page cache of a loading connection: keeps more of the unique index's pages at hand
_STAGE = "_stage_records"


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of short-lived tuples of atomic values would trigger the cyclic collector over and over; none of
    them can form a cycle, so it is paused while they are built and bound."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _with_nulls(values: list, missing: np.ndarray) -> list:
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    return values


def _times(s: pd.Series) -> pa.Array:
    missing = s.isna().to_numpy()
    seconds = s.to_numpy(dtype="datetime64[us]").astype("datetime64[s]")
    # Arrow's cast of a timestamp[s] to text is ``YYYY-MM-DD HH:MM:SS`` (TIME_FORMAT) and far faster than strftime.
    return pa.array(seconds, pa.timestamp("s"), mask=missing).cast(pa.large_string())


def _sqlite_column(s: pd.Series) -> list | Iterable | None:
    """A column as the SQLite driver wants it: str / int values (booleans 0/1), None where missing, times as
    ``YYYY-MM-DD HH:MM:SS`` text (what SQLAlchemy reads back); None for a column without any value."""
    n = len(s)
    missing = s.isna().to_numpy()
    if missing.all():
        return None
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _times(s).to_pylist()
    if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
        arr = pa.array(s, pa.large_string())
        if n and arr.null_count == 0 and pc.all(pc.equal(arr, arr[0])).as_py():
            return repeat(arr[0].as_py(), n)
        return arr.to_pylist()
    values = s.to_numpy(dtype=np.int64, na_value=0).tolist()  # ints, nullable ints, booleans
    return _with_nulls(values, missing) if missing.any() else values


def sqlite_columns(batch_id: int, records: pd.DataFrame) -> tuple[list[str], list[list | Iterable]]:
    """The columns of ``records`` that hold any value and their insert parameters, column by column (constant
    columns as ``repeat`` iterators, so no per-row objects are made for them). Columns left out are NULL:
    binding fewer parameters per row is most of what an insert costs here."""
    names, values = ["batch_id"], [repeat(batch_id, len(records))]
    for name in RECORD_COLUMNS:
        column = _sqlite_column(records[name])
        if column is not None:
            names.append(name)
            values.append(column)
    return names, values


def _insert_sqlite(conn: Connection, batch_id: int, records: pd.DataFrame) -> int:
    dbapi = conn.connection.driver_connection
    dbapi.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
    before = dbapi.total_changes
    with _no_gc():
        for start in range(0, len(records), SQLITE_SLICE):
            names, values = sqlite_columns(batch_id, records.iloc[start:start + SQLITE_SLICE])
            sql = (f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "  # noqa: S608 - fixed column names
                   "ON CONFLICT (id) DO NOTHING")
            dbapi.executemany(sql, zip(*values, strict=True))
    return dbapi.total_changes - before


def _arrow_table(batch_id: int, records: pd.DataFrame) -> pa.Table:
    cols: dict[str, pa.Array] = {"batch_id": pa.array(np.full(len(records), batch_id, np.int64))}
    for name in RECORD_COLUMNS:
        s = records[name]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            cols[name] = _times(s)
        elif isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            cols[name] = pa.array(s, pa.large_string())
        else:
            cols[name] = pa.array(s)
    return pa.table(cols)


def _insert_postgres(conn: Connection, batch_id: int, records: pd.DataFrame) -> int:
    cols = ", ".join(f'"{c}"' for c in ("batch_id", *RECORD_COLUMNS))
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "  # noqa: S608 - fixed names
        f"SELECT {cols} FROM records WITH NO DATA"
    )
    buf = io.BytesIO()
    # Arrow quotes every string, so an unquoted empty field is NULL and "" an empty string, as COPY reads them.
    pacsv.write_csv(_arrow_table(batch_id, records), buf, pacsv.WriteOptions(include_header=False))
    store = _pg_store_sql(conn, cols, _STAGE)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {_STAGE} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getbuffer())
        cur.execute(store)
        inserted = cur.fetchone()[0]
        cur.execute(f"TRUNCATE {_STAGE}")
    return inserted


def _on_citus(conn: Connection) -> bool:
    return bool(conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").scalar())


def write_path(dialect: str) -> str:
    """The path ``insert_records`` takes on ``dialect``: ``adbc`` or the fallback (``executemany`` / ``copy-csv``)."""
    if USE_ADBC and stage.available(dialect):
        return "adbc"
    return "copy-csv" if dialect == "postgresql" else "executemany"


def _arrow_type(name: str) -> pa.DataType:
    col_type = Record.__table__.c[name].type
    if isinstance(col_type, DateTime):
        return pa.timestamp("s")  # whole seconds, as the fallback paths store them
    if isinstance(col_type, Boolean):
        return pa.bool_()
    if isinstance(col_type, Integer):
        return pa.int64()
    return pa.large_string()


PG_STAGE_SCHEMA = pa.schema([("batch_id", pa.int64()), *((c, _arrow_type(c)) for c in RECORD_COLUMNS)])


def _arrow_column(s: pd.Series, typ: pa.DataType) -> pa.Array:
    missing = s.isna().to_numpy()
    if typ == pa.timestamp("s"):
        seconds = s.to_numpy(dtype="datetime64[us]").astype("datetime64[s]")
        return pa.array(seconds, typ, mask=missing)
    if typ == pa.large_string():
        return pa.array(s, typ)
    if typ == pa.bool_():
        return pa.array(s.to_numpy(dtype=bool, na_value=False), typ, mask=missing)
    return pa.array(s.to_numpy(dtype=np.int64, na_value=0), typ, mask=missing)


def _stage_table(batch_id: int, records: pd.DataFrame, *, sqlite: bool) -> pa.Table:
    """The chunk as Arrow columns in the stage's types. SQLite: only the columns holding a value (the others are
    NULL), times as ``TIME_FORMAT`` text and booleans as 0/1, as the fallback stores them."""
    cols: dict[str, pa.Array] = {"batch_id": pa.array(np.full(len(records), batch_id, np.int64))}
    for field in PG_STAGE_SCHEMA.remove(0):
        s = records[field.name]
        if sqlite and s.isna().all():
            continue
        arr = _arrow_column(s, field.type)
        if sqlite and field.type == pa.timestamp("s"):
            arr = arr.cast(pa.large_string())  # ``YYYY-MM-DD HH:MM:SS``
        elif sqlite and field.type == pa.bool_():
            arr = arr.cast(pa.int64())
        cols[field.name] = arr
    return pa.table(cols)


def _insert_select(table: pa.Table, staged: str, *, order: str = "") -> str:
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    return (f"INSERT INTO records ({cols}) SELECT {cols} FROM {staged} WHERE true{order} "  # noqa: S608 - fixed names
            "ON CONFLICT (id) DO NOTHING RETURNING 1")


def _adbc_sqlite(conn: Connection, batch_id: int, records: pd.DataFrame) -> int:
    fairy = conn.connection
    dbapi = fairy.driver_connection
    dbapi.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
    scratch = stage.sqlite_stage(fairy.info, dbapi)
    txn = conn.get_transaction()
    if txn is not None and scratch.read_in is txn:
        # This transaction has read the stage already: it keeps that snapshot (the ADBC driver's SQLite is
        # another library, their file locks do not see each other), so a second write in it takes the fallback.
        return _insert_sqlite(conn, batch_id, records)
    table = _stage_table(batch_id, records, sqlite=True)
    staged = scratch.fill(table)
    scratch.read_in = txn
    # SQLite has no INSERT inside a WITH: the RETURNING rows are counted here (one small tuple per stored row)
    return len(dbapi.execute(_insert_select(table, staged, order=" ORDER BY rowid")).fetchall())


def pg_uri(engine: Engine) -> str:
    """The engine's database as a libpq URI (what the ADBC driver connects to)."""
    return libpq_url(engine.url)


def stage_postgres(pg: stage.PgStage, batch_id: int, records: pd.DataFrame) -> str:
    """Fill ``pg`` with the chunk ahead of its write (the pipelined loader); returns what ``insert_records``
    takes as ``staged``."""
    return pg.fill(_stage_table(batch_id, records, sqlite=False))


def _adbc_postgres(conn: Connection, batch_id: int, records: pd.DataFrame, staged: str | None = None) -> int:
    if staged is None:
        staged = stage_postgres(stage.pg_stage(conn.connection.info, pg_uri(conn.engine), PG_STAGE_SCHEMA),
                                batch_id, records)
    cols = ", ".join(f'"{c}"' for c in PG_STAGE_SCHEMA.names)
    return int(conn.exec_driver_sql(_pg_store_sql(conn, cols, staged)).scalar_one())


def _pg_store_sql(conn: Connection, cols: str, staged: str) -> str:
    """The statement that stores a PostgreSQL stage's rows in ``records`` and returns how many it stored. On the
    province layout (records partitioned by month, ``feedback.records.partitions``) each id is claimed in the
    unpartitioned ``record_keys`` first and only the claimed rows are stored: the partitioned table's own key
    holds the month, so it alone would take the same key again at another time."""
    if partitions.is_partitioned(conn):
        picked = ", ".join(f's.{c}' for c in cols.split(", "))
        return (f"WITH k AS (INSERT INTO {partitions.GUARD} (id) SELECT DISTINCT id FROM {staged} "  # noqa: S608
                "ON CONFLICT DO NOTHING RETURNING id), "
                f"ins AS (INSERT INTO records ({cols}) SELECT DISTINCT ON (s.id) {picked} FROM {staged} s "
                "JOIN k ON k.id = s.id ORDER BY s.id, s.row_number RETURNING 1) SELECT count(*) FROM ins")
    return (f"WITH ins AS (INSERT INTO records ({cols}) SELECT {cols} FROM {staged} "  # noqa: S608 - fixed names
            "ON CONFLICT (id) DO NOTHING RETURNING 1) SELECT count(*) FROM ins")


def insert_records(conn: Connection, batch_id: int, records: pd.DataFrame, staged: str | None = None) -> int:
    """Insert ``records`` (exactly ``RECORD_COLUMNS``) of one batch, skipping any whose id exists (the id is the
    natural key's hash: the same (source_system, record_key), or in the rarest case another key with the same
    hash, which ``feedback.records.repository.id_collisions`` then finds); returns the rows inserted.
    ``staged``: PostgreSQL only, the stage ``stage_postgres`` already filled with exactly these records."""
    if records.empty:
        return 0
    dialect = conn.dialect.name
    if dialect == "postgresql" and _on_citus(conn):
        # Citus: the chunk's transaction writes records (distributed) and then its rejects and the batch checkpoint
        # (reference tables); after a parallel multi-shard write that is refused, one connection per worker is not
        conn.exec_driver_sql("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    if staged is not None:
        return _adbc_postgres(conn, batch_id, records, staged)
    if write_path(dialect) == "adbc":
        return _adbc_postgres(conn, batch_id, records) if dialect == "postgresql" else _adbc_sqlite(conn, batch_id, records)
    if dialect == "postgresql":
        return _insert_postgres(conn, batch_id, records)
    return _insert_sqlite(conn, batch_id, records)
