"""Engine factory and schema upgrade (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

PG_WORK_MEM = "32MB"  # per sort / hash of a session; the rollup aggregations need a few MB each


def libpq_url(url: str | URL) -> str:
    """A PostgreSQL SQLAlchemy URL (``postgresql+psycopg://…``) as libpq and its clients (ADBC, procrastinate)
    take it: ``postgresql://…``, password included."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout, and its folder is created;
    PostgreSQL sessions get ``work_mem`` = PG_WORK_MEM."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
    if parsed.get_backend_name() == "postgresql":
        @event.listens_for(engine, "connect")
        def _pg_session(dbapi_conn, _record):  # pragma: no cover - trivial
            # A year of the monthly rollups is ~100,000 rows to group: with the default 4 MB PostgreSQL sorts
            # them on disk (0.5 s) instead of hashing them in memory (0.15 s).
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET work_mem = '{PG_WORK_MEM}'")
            dbapi_conn.commit()

    return engine


def limit_statement_time(conn: Connection, seconds: float) -> None:
    """PostgreSQL: cancel any statement of ``conn``'s current transaction that runs longer than ``seconds``
    (``SET LOCAL``: it ends with the transaction, a pooled connection keeps no limit). 0 or SQLite: no limit."""
    if seconds <= 0 or conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")


def alembic_config(url: str):
    """An Alembic config pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` on the engine's database."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Alembic rebuilds a SQLite table to change its keys; with foreign keys on, dropping the old table would
            # cascade into the rows that point at it. Off outside the transaction (SQLite ignores it inside), and
            # checked before the upgrade commits.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"upgrade left rows without their parent: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


AUTOVACUUM_OFF = ("PostgreSQL 的 autovacuum 已关闭：汇总表（rollup_*）每批数据都会删改行，死行不被回收，表会越来越大，"
                  "总览和报表随之变慢。请在服务器上开启 autovacuum（postgresql.conf: autovacuum = on），"
                  "或定期执行 VACUUM (ANALYZE)")


def server_warnings(conn: Connection) -> list[str]:
    """What an operator should fix on the database server (Chinese, for ``haocha init``): PostgreSQL running
    without autovacuum, which lets the rollup tables fill with dead rows that every scan reads."""
    if conn.dialect.name != "postgresql":
        return []
    autovacuum = conn.exec_driver_sql("SHOW autovacuum").scalar()
    return [AUTOVACUUM_OFF] if autovacuum == "off" else []
