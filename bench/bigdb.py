"""A benchmark's PostgreSQL database: created, configured, filled by copying a demo's ratings (bench.load, bench.scale)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text


def _haocha(config: Path, *args: str, stdin: str | None = None) -> str:
    exe = Path(sys.executable).with_name("haocha")
    out = subprocess.run([str(exe), "--config", str(config), *args], input=stdin, text=True, capture_output=True)
    if out.returncode != 0:
        raise SystemExit(f"haocha {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _config(url: str, folder: Path, cache_seconds: int, background_nice: int | None = None, processes: int = 1
            ) -> Path:
    source = Path(__file__).resolve().parents[1] / "config.toml"
    body = re.sub(r'(?m)^url = .*$', f'url = "{url}"', source.read_text(encoding="utf-8"), count=1)
    body = re.sub(r'(?m)^cache_seconds = .*$', f"cache_seconds = {cache_seconds}", body, count=1)
    if background_nice is not None:
        body = re.sub(r'(?m)^background_nice = .*$', f"background_nice = {background_nice}", body, count=1)
    if processes > 1:  # several web processes need the stages' status in the database: the job queue
        body = re.sub(r'(?m)^processes = .*$', f"processes = {processes}", body, count=1)
        body = re.sub(r'(?m)^queue = .*$', 'queue = "procrastinate"', body, count=1)
    path = folder / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _ensure_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it does not exist (never touches other databases)."""
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def copy_ratings(engine, copies: int) -> float:
    """``copies`` more of every demo rating with its scores: keys and 办件 numbers suffixed ``#cK``, ids the natural
    ids of the new keys (claimed in ``record_keys`` when the tables are partitioned). Returns the seconds."""
    from feedback.models import Record, Score
    from feedback.models.records import natural_id_sql
    from feedback.records.partitions import repository as partitions

    new_id = natural_id_sql("source_system", "(record_key || :suffix)")
    changed = {"id": new_id, "record_key": "record_key || :suffix", "project_no": "project_no || :suffix"}
    rcols = [c.name for c in Record.__table__.c]
    scols = [c.name for c in Score.__table__.c]
    with engine.begin() as conn:
        partitioned = partitions.is_partitioned(conn)
        conn.execute(text("DROP TABLE IF EXISTS _seed_records, _seed_scores"))
        conn.execute(text("CREATE UNLOGGED TABLE _seed_records AS SELECT * FROM records "
                          "WHERE kind = 'rating' AND record_key NOT LIKE '%#c%'"))
        conn.execute(text("CREATE UNLOGGED TABLE _seed_scores AS SELECT s.*, r.source_system, r.record_key AS key "
                          "FROM scores s JOIN _seed_records r ON r.id = s.record_id"))
    copy_records = text(f"INSERT INTO records ({', '.join(rcols)}) SELECT "  # noqa: S608 - fixed names
                        f"{', '.join(changed.get(c, c) for c in rcols)} FROM _seed_records")
    score_id = natural_id_sql("source_system", "(key || :suffix)")
    copy_scores = text(f"INSERT INTO scores ({', '.join(scols)}) SELECT "  # noqa: S608 - fixed names
                       f"{', '.join(score_id if c == 'record_id' else c for c in scols)} FROM _seed_scores")
    claim = text(f"INSERT INTO record_keys (id) SELECT {new_id} FROM _seed_records")  # noqa: S608
    t0 = time.perf_counter()
    for k in range(1, copies + 1):
        t1 = time.perf_counter()
        with engine.begin() as conn:
            if partitioned:
                conn.execute(claim, {"suffix": f"#c{k}"})
            conn.execute(copy_records, {"suffix": f"#c{k}"})
            conn.execute(copy_scores, {"suffix": f"#c{k}"})
        print(f"  copy {k}/{copies}: {time.perf_counter() - t1:.0f} s", flush=True)
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE _seed_records, _seed_scores"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return seconds


def compact_rollups(engine) -> None:
    """Rewrite the rollup tables after a full rebuild (``VACUUM (FULL, ANALYZE)``): the rebuild leaves every former
    row dead, which autovacuum (on by default) would reclaim for the next writes; on a server running without it,
    as this project's development machine does, the year's monthly rows were spread over 8 times the pages and
    every scan read them all (docs/performance.md)."""
    from feedback.models import Base

    names = sorted(t for t in Base.metadata.tables if t.startswith("rollup_"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM (FULL, ANALYZE) {', '.join(names)}"))


def must_build(url: str, have: int, rows: int, reuse: bool) -> bool:
    """Whether the benchmark database must be built; refuses a database holding other ratings."""
    if reuse and have >= rows:
        return False
    if have:
        raise SystemExit(f"{url} already holds {have:,} ratings: use --reuse, or drop the database")
    return True


def busiest_units(conn) -> dict[str, str]:
    """The department and the region with the most records (the overview's filtered targets)."""
    return {"dept": conn.execute(text("SELECT dept_code FROM records WHERE dept_code IS NOT NULL "
                                      "GROUP BY dept_code ORDER BY count(*) DESC LIMIT 1")).scalar_one(),
            "region": conn.execute(text("SELECT region_code FROM records WHERE region_code IS NOT NULL "
                                        "GROUP BY region_code ORDER BY count(*) DESC LIMIT 1")).scalar_one()}


def workspace(url: str, prefix: str, cache_seconds: int, background_nice: int | None = None, processes: int = 1
              ) -> tuple[Path, Path]:
    """A scratch folder (the instance directory inside), the benchmark's database and its config.toml (served by
    ``processes`` web processes, with the job queue when more than one)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("HAOCHA_INSTANCE_DIR", str(folder / "instance"))
    _ensure_database(url)
    return folder, _config(url, folder, cache_seconds, background_nice, processes)
