"""Staging tables filled through Arrow (ADBC): a transformed chunk goes from Arrow into a staging table in C, with
no Python per row, and the caller's transaction copies it into ``records`` with one ``INSERT … SELECT``.

An ADBC connection is a session of its own, beside the SQLAlchemy connection that holds the chunk's transaction:

- SQLite: the stage is a scratch database file (journal off, no fsync) in a per-process temporary folder, written
  by the ADBC driver's own SQLite and ATTACHed to the loading connection as ``haocha_stage``. The two SQLite
  libraries do not see each other's file locks: the stage is only filled when the loading connection's
  transaction has not read it yet (the caller checks ``read_in``);
- PostgreSQL: the stage is an UNLOGGED table ``_haocha_stage_<pid>`` (the ADBC session's backend pid), filled by
  binary COPY and committed in the ADBC session; the loading transaction only reads it.

A stage holds one chunk at a time and is emptied before each fill, so what a crash leaves in it is never read
again; stages of dead processes are removed when a new one is made. Each loading DBAPI connection gets its own
stage (kept in the pool's ``info`` of that connection: concurrent loads never share one), closed and removed when
that connection goes away."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import pyarrow as pa

from feedback.isolate import address_space_left

__all__ = ["SQLITE_SCHEMA", "available", "pg_stage", "sqlite_stage"]

SQLITE_SCHEMA = "haocha_stage"  # the attached scratch database's name on the loading connection
_DIR_PREFIX = "haocha-stage-"
_PG_PREFIX = "_haocha_stage_"
_PG_TYPES = {pa.int64(): "bigint", pa.large_string(): "text", pa.bool_(): "boolean", pa.timestamp("s"): "timestamp"}
_INFO_KEY = "haocha_stage"
MIN_ROOM = 256 << 20  # address space a chunk's ingest may need at most (thread stacks, COPY buffers)


def available(dialect: str) -> bool:
    """Whether the ADBC driver for ``dialect`` (``sqlite`` / ``postgresql``) can be imported and used safely:
    under a tight address-space cap (``[security] import_memory_mb``) the drivers' C++ code aborts the whole
    process when it cannot allocate or start a thread, so with less than MIN_ROOM left the fallback runs."""
    left = address_space_left()
    if left is not None and left < MIN_ROOM:
        return False
    try:
        if dialect == "sqlite":
            import adbc_driver_sqlite.dbapi  # noqa: F401
        elif dialect == "postgresql":
            import adbc_driver_postgresql.dbapi  # noqa: F401
        else:
            return False
    except ImportError:
        return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_dirs() -> None:
    """Scratch folders of processes that died without cleaning up (kill -9)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_DIR_PREFIX}*"):
        m = re.fullmatch(rf"{_DIR_PREFIX}(\d+)-.*", path.name)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)


class SqliteStage:
    def __init__(self, dbapi_conn: Any):
        import adbc_driver_sqlite.dbapi as adbc

        _remove_dead_dirs()
        self.dir = tempfile.mkdtemp(prefix=f"{_DIR_PREFIX}{os.getpid()}-")
        path = os.path.join(self.dir, "stage.db")
        self.adbc = adbc.connect(path, autocommit=True)  # each ingest is one transaction of its own
        with self.adbc.cursor() as cur:
            for pragma in ("journal_mode=OFF", "synchronous=OFF"):  # scratch data: nothing to recover
                cur.execute(f"PRAGMA {pragma}")
                cur.fetchall()
        dbapi_conn.execute(f"ATTACH DATABASE ? AS {SQLITE_SCHEMA}", (path,))
        self.read_in: Any = None  # the loading connection's transaction that last read the stage
        weakref.finalize(self, _close_sqlite, self.adbc, self.dir)

    def fill(self, table: pa.Table) -> str:
        """Replace the stage's content with ``table``; returns the staged table's qualified name."""
        with self.adbc.cursor() as cur:
            cur.adbc_ingest("records", table, mode="replace")
        return f"{SQLITE_SCHEMA}.records"


def _close_sqlite(adbc_conn: Any, folder: str) -> None:
    try:
        adbc_conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PgStage:
    def __init__(self, uri: str, schema: pa.Schema):
        import adbc_driver_postgresql.dbapi as adbc

        self.adbc = adbc.connect(uri, autocommit=True)
        self.schema = schema
        with self.adbc.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            self.name = f"{_PG_PREFIX}{cur.fetchone()[0]}"
            cur.execute("SET lock_timeout = '200ms'")
            self._drop_dead(cur)
            cols = ", ".join(f'"{f.name}" {_PG_TYPES[f.type]}' for f in schema)
            cur.execute(f'DROP TABLE IF EXISTS "{self.name}"')
            cur.execute(f'CREATE UNLOGGED TABLE "{self.name}" ({cols})')
        self.close = weakref.finalize(self, _close_pg, self.adbc, self.name)  # drops the table; idempotent

    def _drop_dead(self, cur: Any) -> None:
        """Stages whose ADBC session has ended (a process killed mid-load)."""
        cur.execute("SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE '\\_haocha\\_stage\\_%' "
                    "AND c.relnamespace = current_schema()::regnamespace "
                    "AND substr(c.relname, 15)::int NOT IN (SELECT pid FROM pg_stat_activity)")
        for (name,) in cur.fetchall():
            try:
                cur.execute(f'DROP TABLE IF EXISTS "{name}"')
            except Exception:  # noqa: BLE001,S112 - locked by someone: left for a later run
                continue

    def fill(self, table: pa.Table) -> str:
        """Replace the stage's rows with ``table`` (committed in the ADBC session); returns the table's name.

        TRUNCATE is cheap but waits for any transaction that has read the stage; when the caller's own
        transaction has (two writes in one transaction), the lock wait times out and DELETE is used instead."""
        with self.adbc.cursor() as cur:
            try:
                cur.execute(f'TRUNCATE "{self.name}"')
            except Exception:  # noqa: BLE001 - lock_timeout
                cur.execute(f'DELETE FROM "{self.name}"')  # noqa: S608 - our own name
            cur.adbc_ingest(self.name, table.cast(self.schema), mode="append")
        return f'"{self.name}"'


def _close_pg(adbc_conn: Any, name: str) -> None:
    try:
        with adbc_conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS "{name}"')
    except Exception:  # noqa: BLE001,S110 - closing anyway; a dead stage is dropped by the next load
        pass
    finally:
        adbc_conn.close()


def sqlite_stage(info: dict, dbapi_conn: Any) -> SqliteStage:
    """The stage of a pysqlite connection (``info``: its pool info), made and attached on first use."""
    stage = info.get(_INFO_KEY)
    if stage is None:
        stage = info[_INFO_KEY] = SqliteStage(dbapi_conn)
    return stage


def pg_stage(info: dict, uri: str, schema: pa.Schema) -> PgStage:
    """The stage of a psycopg connection (``info``: its pool info), made on first use."""
    stage = info.get(_INFO_KEY)
    if stage is None:
        stage = info[_INFO_KEY] = PgStage(uri, schema)
    return stage
