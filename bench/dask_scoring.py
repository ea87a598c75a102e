"""Scoring throughput in one process against Dask LocalClusters of 1 and 2 worker processes (CLI).

A demo city of ``--rows`` ratings (plus its 12345 messages) is loaded into a scratch SQLite database (or the
PostgreSQL database ``--postgres URL``, which is emptied first); ``haocha score`` builds its version once, then
every record is scored again under that active version, timed: in this process (one BLAS thread), then on a
LocalCluster of N single-threaded worker processes for each N of ``--workers``. Cluster start-up is reported
apart; each cluster scores twice: cold (the timed run includes each worker's one model load) and warm (the models
are cached in the workers, as in a long-lived cluster). Every run's score rows are checked equal to the
single-process rows. The load average is printed before and after: on a shared machine it decides the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.scratch import fresh_db, loadavg, show


def _rows(engine):
    import pandas as pd
    from sqlalchemy import select

    from feedback.models import Score

    with engine.connect() as conn:
        rows = pd.read_sql(select(Score), conn)
    return rows.drop(columns=["scored_at"]).sort_values("record_id").reset_index(drop=True)


def _forget_scores(engine) -> None:
    """Delete every score (the version stays active); on PostgreSQL vacuum the table, so that each run starts
    from the same table and not from the dead rows of the runs before it."""
    from sqlalchemy import text

    from feedback.scoring import repository as store

    with engine.begin() as conn:
        store.delete_scores_except(conn, "")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE scores"))


def _breakdown(engine, settings) -> dict:
    """Where a single-process run spends its time: loading the models, reading the ranges, scoring, writing.
    The reads and writes stay with the client on a cluster, so they bound what more workers can gain."""
    from feedback.scoring import repository as store
    from feedback.scoring.score import load_scorer

    with engine.connect() as conn:
        active = store.active_version(conn)
    t0 = time.perf_counter()
    scorer = load_scorer(settings, active)
    out = {"load_models": time.perf_counter() - t0}
    _forget_scores(engine)
    frames, t0 = [], time.perf_counter()
    for records, _ in store.unscored_records(engine, active["version"], settings.scoring.batch_size):
        with engine.connect() as conn:
            frames.append(store.with_gold(conn, records))
    out["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    scored = [scorer.score(f) for f in frames]
    out["score"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for rows in scored:
        with engine.begin() as conn:
            store.insert_scores(conn, active["version"], rows)
    out["write"] = time.perf_counter() - t0
    return {k: round(v, 2) for k, v in out.items()}


def run(rows: int, workers: list[int], batch_size: int, postgres: str | None, seed: int = 7,
        engine_name: str | None = None, partitioned: bool = False) -> dict:
    import dataclasses

    import pandas as pd
    from distributed import LocalCluster
    from threadpoolctl import threadpool_limits

    from etl.demo.generate import write_demo
    from etl.pipeline import ingest_file
    from feedback.db import make_engine, upgrade
    from feedback.scoring.score import score_store
    from feedback.settings import settings_from_mapping

    tmp = Path(tempfile.mkdtemp(prefix="haocha-dask-bench-"))
    url = postgres or f"sqlite:///{tmp / 'haocha.db'}"
    if postgres:
        fresh_db(url)
    settings = settings_from_mapping({"database": {"url": url}, "paths": {"instance_dir": str(tmp / "instance")},
                                      "scoring": {"batch_size": batch_size}},
                                     base_dir=tmp, env={"HAOCHA_HASH_KEY": "bench-not-secret"})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    if partitioned:  # the province layout (month partitions; the loads create the demo's months)
        from datetime import date

        from feedback.records.partitions import repository as partitions

        with engine.begin() as conn:
            partitions.setup(conn, date.today(), 0)
    report: dict = {"partitioned": partitioned, "rows_requested": rows, "sentiment_engine": engine_name or settings.scoring.engine, "batch_size": batch_size, "database": "postgresql" if postgres else
                    "sqlite", "cpus": os.cpu_count(), "loadavg_start": loadavg()}
    t0 = time.perf_counter()
    for path in write_demo(tmp / "demo", rows=rows, seed=seed):
        ingest_file(engine, settings, path, profile="zhejiang" if "zhejiang" in path.name else "auto")
    report["ingest_seconds"] = round(time.perf_counter() - t0, 1)
    first = score_store(engine, settings, engine_name=engine_name)  # builds and activates the version (untimed)
    report["version"], report["records"] = first.version, first.scored
    report["build_version_and_score_seconds"] = round(first.seconds, 1)

    with threadpool_limits(1):
        report["one_process_seconds"] = _breakdown(engine, settings)
        _forget_scores(engine)
        seq = score_store(engine, settings)
    expected = _rows(engine)
    report["runs"] = [{"mode": "one process", "workers": 0, "seconds": round(seq.seconds, 2),
                       "records_per_s": round(seq.docs_per_s)}]
    for n in workers:
        t0 = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            start = time.perf_counter() - t0
            for warm in (False, True):  # cold: each worker loads the models; warm: they are cached
                _forget_scores(engine)
                run_ = score_store(engine, dataclasses.replace(settings), scheduler=cluster.scheduler_address)
                try:
                    pd.testing.assert_frame_equal(_rows(engine), expected, check_exact=True)
                    same = True
                except AssertionError:
                    same = False
                report["runs"].append({"mode": f"dask LocalCluster, {'warm' if warm else 'cold'}", "workers": n,
                                       "seconds": round(run_.seconds, 2), "records_per_s": round(run_.docs_per_s),
                                       "cluster_start_seconds": round(start, 1),
                                       "speedup": round(seq.seconds / run_.seconds, 2), "identical_rows": same})
    _forget_scores(engine)  # the one-process run again: how much the machine drifted meanwhile
    with threadpool_limits(1):
        again = score_store(engine, settings)
    report["runs"].append({"mode": "one process, again", "workers": 0, "seconds": round(again.seconds, 2),
                           "records_per_s": round(again.docs_per_s), "speedup": round(seq.seconds / again.seconds, 2)})
    report["loadavg_end"] = loadavg()
    engine.dispose()
    return report


def _print(r: dict) -> None:
    print(f"{r['records']:,} records ({r['rows_requested']:,} demo ratings + messages) on {r['database']}"
          f"{' (month partitions)' if r.get('partitioned') else ''}, "
          f"sentiment engine {r['sentiment_engine']}, "
          f"batch {r['batch_size']:,}, {r['cpus']} CPUs, load average {r['loadavg_start']} → {r['loadavg_end']}")
    print(f"version {r['version']} built and scored once in {r['build_version_and_score_seconds']} s "
          f"(ingest {r['ingest_seconds']} s)")
    b = r["one_process_seconds"]
    print(f"one process, seconds: load models {b['load_models']}, read ranges {b['read']}, score {b['score']}, "
          f"write rows {b['write']} (reads and writes stay with the client on a cluster)")
    print(f"{'mode':<26}{'workers':>8}{'seconds':>10}{'records/s':>11}{'speedup':>9}{'start s':>9}{'rows ==':>9}")
    for x in r["runs"]:
        print(f"{x['mode']:<26}{x['workers']:>8}{x['seconds']:>10.2f}{x['records_per_s']:>11,}"
              f"{x.get('speedup', 1.0):>9.2f}{x.get('cluster_start_seconds', 0):>9.1f}"
              f"{str(x.get('identical_rows', '-')):>9}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dask_scoring", description=__doc__)
    ap.add_argument("--rows", type=int, default=20_000, help="demo ratings (default 20,000)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the LocalClusters (default 1,2)")
    ap.add_argument("--batch-size", type=int, default=2_000, help="records per range ([scoring] batch_size)")
    ap.add_argument("--postgres", default=None, help="a scratch PostgreSQL URL (emptied!) instead of SQLite")
    ap.add_argument("--engine", choices=["linear", "snownlp"], default=None,
                    help="sentiment engine of the version (default [scoring] engine; snownlp is ~60x slower per text, "
                         "a stand-in for a costly model)")
    ap.add_argument("--partitioned", action="store_true",
                    help="with --postgres: records and scores partitioned by month (haocha partition setup)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    if args.partitioned and not args.postgres:
        ap.error("--partitioned needs --postgres")
    report = run(args.rows, [int(w) for w in args.workers.split(",") if w], args.batch_size, args.postgres,
                 engine_name=args.engine, partitioned=args.partitioned)
    return show(report, args.json, _print)


if __name__ == "__main__":
    sys.exit(main())
