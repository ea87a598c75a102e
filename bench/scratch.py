"""An empty scratch database for a benchmark run: a SQLite file removed, a PostgreSQL schema dropped and recreated."""

from __future__ import annotations

from pathlib import Path


def fresh_db(url: str) -> None:
    """Empty the benchmark database at ``url`` (only ever a database the benchmark was pointed at)."""
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        p = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
        return
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()
