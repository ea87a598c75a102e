"""An empty scratch database for a benchmark run: a SQLite file removed, a PostgreSQL schema dropped and recreated;
the load average the figures were taken under; a report printed as JSON or as a table."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (on a shared machine they decide the figures)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def show(report: dict, as_json: bool, table: Callable[[dict], None]) -> int:
    """Print a bench's report as JSON or as its table; the exit status."""
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        table(report)
    return 0
