"""Ingestion benchmark: Haocha's checked, mapped, de-duplicated load against a bare pandas load of the same file.

    python -m bench.etl --rows 1000000 [--postgres URL] [--fallback] [--json]

After Haocha's load, ``floor`` times the database's own insert of the rows just loaded into an empty copy of
the records table with the same indexes (``INSERT … SELECT``, no client at all): the ceiling any loader has on
this machine and schema. ``--fallback`` also loads through the write path used without the ADBC drivers
(``executemany`` / CSV ``COPY``), for a before / after in one run; the notes say which write path each load took.

Each measured run is a child process pinned to one core; its peak memory is the child's own max RSS, its CPU
time the child's user + system time (on a machine shared with other jobs, CPU rows/s varies less than wall rows/s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.scratch import fresh_db


def _child_run(argv: list[str]) -> dict:
    """Run ``python -m bench.etl --child ...`` and return its JSON line plus its peak RSS in MB."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.etl", "--child", *argv], stdout=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed: {argv}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    return result


def child(mode: str, path: str, url: str, workdir: str) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if mode == "bare":
        import pandas as pd
        from sqlalchemy import create_engine

        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        t0 = time.perf_counter()
        frame = pd.read_csv(path, dtype=str)
        engine = create_engine(url)
        frame.to_sql("bare_load", engine, if_exists="replace", index=False, chunksize=50_000)
        elapsed = time.perf_counter() - t0
        rows = len(frame)
        print(json.dumps({"mode": mode, "rows": rows, "seconds": round(elapsed, 2)}))
        return
    if mode in ("floor", "floor-idx"):
        print(json.dumps({"mode": mode, **engine_floor(url, foreign_keys=mode == "floor")}))
        return
    from etl import dbwrite
    from etl.pipeline import ingest_file
    from feedback.db import make_engine, upgrade

    dbwrite.USE_ADBC = mode != "fallback"
    from feedback.settings import settings_from_mapping

    settings = settings_from_mapping(
        {"database": {"url": url}, "paths": {"instance_dir": workdir}},
        base_dir=Path(workdir), env={"HAOCHA_HASH_KEY": "bench-hash-key-0123456789abcdef"},
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    t0 = time.perf_counter()
    res = ingest_file(engine, settings, path, profile="zhejiang")
    elapsed = time.perf_counter() - t0
    print(json.dumps({"mode": mode, "rows": res.read, "loaded": res.loaded, "duplicate": res.duplicate,
                      "rejected": res.rejected, "seconds": round(elapsed, 2),
                      "write_path": dbwrite.write_path(engine.dialect.name)}))


def engine_floor(url: str, foreign_keys: bool = True) -> dict:
    """The database's own cost of storing the rows Haocha just loaded, with no client work at all: one
    ``INSERT INTO <copy of records, same indexes and foreign keys> SELECT * FROM records ... ON CONFLICT DO
    NOTHING`` inside the database (SQLite's C code in this process, PostgreSQL's server process). No loader can
    beat it. SQLite's copy is made from records' own DDL, foreign key included (enforced: ``make_engine`` turns
    them on); PostgreSQL's ``LIKE … INCLUDING ALL`` copies indexes but not foreign keys, so they are added as on
    records, unless ``foreign_keys`` is False (the indexes-only floor the first figures of the issue used)."""
    import re

    from sqlalchemy import text

    from feedback.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND sql IS NOT NULL")
                               ).scalars().all()
            for stmt in ddl:  # the table and each of its indexes, renamed
                stmt = re.sub(r"\brecords\b", "floor_records", stmt, count=1 if "TABLE" in stmt else 2)
                conn.exec_driver_sql(re.sub(r"(INDEX\s+)(\w+)", r"\1floor_\2", stmt))
        else:
            conn.exec_driver_sql("CREATE TABLE floor_records (LIKE records INCLUDING ALL)")
            fks = conn.exec_driver_sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                       "WHERE conrelid = 'records'::regclass AND contype = 'f'").scalars().all()
            for fk in fks if foreign_keys else []:  # records -> batches: each stored row checks its batch
                conn.exec_driver_sql(f"ALTER TABLE floor_records ADD {fk}")
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        # In the file's order, as the loader meets them: ids are hashes, and SQLite's table is stored by id, so
        # reading it back in table order would hand the floor sorted ids (appends) the loader never gets.
        n = conn.exec_driver_sql("INSERT INTO floor_records SELECT * FROM records WHERE true "  # WHERE: SQLite's upsert parse
                                 "ORDER BY batch_id, row_number ON CONFLICT (id) DO NOTHING").rowcount
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE floor_records")
    engine.dispose()
    return {"rows": n, "seconds": round(elapsed, 2), "in_process_cpu_s": round(cpu, 2)}


def make_input(rows: int, workdir: Path) -> Path:
    from etl.demo.generate import generate
    path = workdir / f"bench_{rows}.csv"
    if not path.exists():
        data = generate(rows=rows, seed=11)
        data.ratings.to_csv(path, index=False)
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--postgres", default=os.environ.get("HAOCHA_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL of an expendable database (its public schema is dropped!)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--skip-bare", action="store_true")
    ap.add_argument("--skip-floor", action="store_true",
                    help="do not measure the database's own insert of the loaded rows (engine floor)")
    ap.add_argument("--fallback", action="store_true",
                    help="also load through the fallback write path (no ADBC) in the same run")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=4, metavar=("MODE", "PATH", "URL", "WORKDIR"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="haocha-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    # generated in a child of its own: a parent that had held the generated frame would pass its resident
    # pages to every measured child at fork, and ru_maxrss would count them (3 GB at 5M rows)
    path = workdir / f"bench_{args.rows}.csv"
    subprocess.run([sys.executable, "-c", f"from bench.etl import make_input; from pathlib import Path; "
                    f"make_input({args.rows}, Path({str(workdir)!r}))"], check=True)
    gen_s = time.perf_counter() - t0
    targets = [("sqlite", f"sqlite:///{workdir / 'bench.db'}")]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    results = []
    for db, url in targets:
        for mode in (["bare"] if not args.skip_bare else []) + (["fallback"] if args.fallback else []) + ["haocha"]:
            fresh_db(url)
            r = _child_run([mode, str(path), url, str(workdir)])
            r.update(db=db, rows_per_s=round(r["rows"] / r["seconds"]), rows_per_cpu_s=round(r["rows"] / r["cpu_s"]))
            results.append(r)
        floors = [] if args.skip_floor else ["floor", "floor-idx"] if db == "postgresql" else ["floor"]
        for mode in floors:
            r = _child_run([mode, str(path), url, str(workdir)])
            r.update(db=db, rows_per_s=round(r["rows"] / r["seconds"]), rows_per_cpu_s=None)
            results.append(r)
    report = {"rows": args.rows, "file_mb": round(path.stat().st_size / 1e6, 1), "generate_s": round(gen_s, 1),
              "runs": results, "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
              "max_rss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"input: {args.rows:,} rows, {report['file_mb']} MB CSV (generated in {gen_s:.1f}s)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in report['load_average'])}")
    print(f"{'database':<11} {'load':<8} {'rows/s':>9} {'seconds':>8} {'CPU s':>7} {'rows/CPU s':>10} {'peak MB':>8}  notes")
    for r in results:
        note = {"bare": "", "floor": "the database's own INSERT … SELECT of the loaded rows (no client work)",
                "floor-idx": "the same into a copy with records' indexes but without its foreign key"}.get(
            r["mode"], f"loaded {r.get('loaded', 0):,} dup {r.get('duplicate', 0):,} rej {r.get('rejected', 0):,}, "
                       f"write path {r.get('write_path')}")
        per_cpu = "—" if r["rows_per_cpu_s"] is None else f"{r['rows_per_cpu_s']:,}"
        print(f"{r['db']:<11} {r['mode']:<8} {r['rows_per_s']:>9,} {r['seconds']:>8} {r['cpu_s']:>7} "
              f"{per_cpu:>10} {r['peak_mb']:>8}  {note}")
    for db in {r["db"] for r in results}:
        bare = next((r for r in results if r["db"] == db and r["mode"] == "bare"), None)
        ours = next(r for r in results if r["db"] == db and r["mode"] == "haocha")
        floor = next((r for r in results if r["db"] == db and r["mode"] == "floor"), None)
        before = next((r for r in results if r["db"] == db and r["mode"] == "fallback"), None)
        if before and floor:
            print(f"{db}: fallback / engine floor = {before['rows_per_s'] / floor['rows_per_s']:.2f}")
        if bare:
            print(f"{db}: haocha / bare = {ours['rows_per_s'] / bare['rows_per_s']:.2f}")
        if floor:
            print(f"{db}: haocha / engine floor = {ours['rows_per_s'] / floor['rows_per_s']:.2f}")
        idx = next((r for r in results if r["db"] == db and r["mode"] == "floor-idx"), None)
        if idx:
            print(f"{db}: haocha / indexes-only floor = {ours['rows_per_s'] / idx['rows_per_s']:.2f}")


if __name__ == "__main__":
    main()
