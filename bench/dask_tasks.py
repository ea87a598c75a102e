"""Task rebuild time in one process against Dask LocalClusters of 1 and 2 worker processes (CLI).

A demo city of ``--rows`` ratings (plus its 12345 messages) is loaded into a scratch SQLite database (or the
PostgreSQL database ``--postgres URL``, which is emptied first) and scored once in this process. With
``--cities K`` the messages get a 区划 column spread over K 地市, so their topic grouping splits into K units (the
province shape; the demo alone is one city: one message unit and one unit of ratings with text but no category).
Then the task list is rebuilt from nothing, timed: in this process (one BLAS thread), then on a LocalCluster of N
single-threaded worker processes for each N of ``--workers``, each twice — cold (the workers import the grouping
code and load jieba's dictionary inside the timed run) and warm. Every cluster rebuild's tasks and members are
checked equal to the single-process ones. The single-process rebuild is also split into the topic grouping (what
the workers take over) and the rest (reads, description, ranking, evidence, writes: the client's).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.scratch import fresh_db, loadavg, show


def _snapshot(engine):
    import pandas as pd
    from sqlalchemy import select

    from feedback.models.tasks import Task, TaskRecord

    with engine.connect() as conn:
        tasks = pd.read_sql(select(Task), conn)
        members = pd.read_sql(select(Task.task_key, TaskRecord.record_id, TaskRecord.weight)
                              .join(TaskRecord, TaskRecord.task_id == Task.id), conn)
    tasks = tasks.drop(columns=["id", "build_id", "created_at", "updated_at"]).sort_values("task_key")
    return tasks.reset_index(drop=True), members.sort_values(["task_key", "record_id"]).reset_index(drop=True)


def _forget_tasks(engine) -> None:
    """Every run builds the task list from nothing (the same work each time)."""
    from sqlalchemy import delete

    from feedback.models.tasks import Task, TaskBuild, TaskEvent, TaskRecord

    with engine.begin() as conn:
        for table in (TaskRecord, TaskEvent, Task, TaskBuild):
            conn.execute(delete(table))


def _same(engine, expected) -> bool:
    import pandas as pd

    got = _snapshot(engine)
    try:
        for a, b in zip(got, expected, strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        return True
    except AssertionError:
        return False


def _grouping_share(engine, settings) -> dict:
    """The single-process topic grouping alone: the units' sizes and how long grouping them here takes."""
    from datetime import timedelta

    from feedback.tasks import queries
    from feedback.tasks.build import build_candidates
    from feedback.tasks.config import task_settings
    from feedback.tasks.units import group_here

    cfg = task_settings(settings)
    with engine.connect() as conn:
        as_of = queries.data_as_of(conn)
        since = as_of - timedelta(days=cfg.horizon_days) if (as_of and cfg.horizon_days > 0) else None
        sig = queries.load_signals(conn, queries.active_model_version(conn), since)
    sizes: list[int] = []
    seconds = [0.0]

    def timed(units, *args):
        sizes.extend(len(u.positions) for u in units)
        t0 = time.perf_counter()
        out = group_here(units, *args)
        seconds[0] = time.perf_counter() - t0
        return out

    t0 = time.perf_counter()
    build_candidates(sig, cfg, mapper=timed)
    return {"units": sorted(sizes, reverse=True), "group_units_seconds": round(seconds[0], 2),
            "build_candidates_seconds": round(time.perf_counter() - t0, 2)}


def _spread_messages(path: Path, cities: int) -> None:
    """Give every message a 区划 of one of ``cities`` 地市 (round robin)."""
    import pandas as pd

    m = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    m["区划"] = [f"{4390 + (i % cities):04d}02" for i in range(len(m))]
    m.to_csv(path, index=False, encoding="utf-8-sig")


def run(rows: int, workers: list[int], postgres: str | None, cities: int = 1, seed: int = 7) -> dict:
    from distributed import LocalCluster
    from threadpoolctl import threadpool_limits

    from etl.demo.generate import write_demo
    from etl.pipeline import ingest_file
    from feedback.db import make_engine, upgrade
    from feedback.scoring.score import score_store
    from feedback.settings import settings_from_mapping
    from feedback.tasks.rebuild import rebuild_tasks

    tmp = Path(tempfile.mkdtemp(prefix="haocha-dask-tasks-"))
    url = postgres or f"sqlite:///{tmp / 'haocha.db'}"
    if postgres:
        fresh_db(url)
    settings = settings_from_mapping({"database": {"url": url}, "paths": {"instance_dir": str(tmp / "instance")}},
                                     base_dir=tmp, env={"HAOCHA_HASH_KEY": "bench-not-secret"})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    report: dict = {"rows_requested": rows, "cities": cities, "database": "postgresql" if postgres else "sqlite",
                    "cpus": os.cpu_count(), "loadavg_start": loadavg()}
    t0 = time.perf_counter()
    for path in write_demo(tmp / "demo", rows=rows, seed=seed):
        if "messages" in path.name and cities > 1:
            _spread_messages(path, cities)
        ingest_file(engine, settings, path, profile="zhejiang" if "zhejiang" in path.name else "auto")
    report["records"] = score_store(engine, settings).scored
    report["load_and_score_seconds"] = round(time.perf_counter() - t0, 1)

    with threadpool_limits(1):
        rebuild_tasks(engine, settings)  # warms this process (jieba's dictionary, imports) like a warm worker
        report["grouping"] = _grouping_share(engine, settings)
        _forget_tasks(engine)
        seq = rebuild_tasks(engine, settings)
    expected = _snapshot(engine)
    report["signals"], report["tasks"] = seq.signals, seq.tasks
    report["runs"] = [{"mode": "one process", "workers": 0, "seconds": round(seq.seconds, 2)}]
    for n in workers:
        t0 = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            start = time.perf_counter() - t0
            for warm in (False, True):
                _forget_tasks(engine)
                run_ = rebuild_tasks(engine, settings, scheduler=cluster.scheduler_address)
                report["runs"].append({"mode": f"dask LocalCluster, {'warm' if warm else 'cold'}", "workers": n,
                                       "seconds": round(run_.seconds, 2), "cluster_start_seconds": round(start, 1),
                                       "speedup": round(seq.seconds / run_.seconds, 2),
                                       "identical_tasks": _same(engine, expected)})
    _forget_tasks(engine)
    with threadpool_limits(1):
        again = rebuild_tasks(engine, settings)
    report["runs"].append({"mode": "one process, again", "workers": 0, "seconds": round(again.seconds, 2),
                           "speedup": round(seq.seconds / again.seconds, 2), "identical_tasks": _same(engine, expected)})
    report["loadavg_end"] = loadavg()
    engine.dispose()
    return report


def _print(r: dict) -> None:
    print(f"{r['records']:,} records ({r['rows_requested']:,} demo ratings + messages, messages in {r['cities']} 地市) "
          f"on {r['database']}, {r['cpus']} CPUs, load average {r['loadavg_start']} → {r['loadavg_end']}")
    g = r["grouping"]
    print(f"{r['signals']:,} signals → {r['tasks']:,} tasks; topic units (documents): {g['units']}; in one process "
          f"grouping the units takes {g['group_units_seconds']} s of build_candidates' {g['build_candidates_seconds']} s")
    print(f"{'mode':<26}{'workers':>8}{'seconds':>10}{'speedup':>9}{'start s':>9}{'tasks ==':>10}")
    for x in r["runs"]:
        print(f"{x['mode']:<26}{x['workers']:>8}{x['seconds']:>10.2f}{x.get('speedup', 1.0):>9.2f}"
              f"{x.get('cluster_start_seconds', 0):>9.1f}{str(x.get('identical_tasks', '-')):>10}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dask_tasks", description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000, help="demo ratings (default 100,000)")
    ap.add_argument("--cities", type=int, default=1, help="地市 the messages are spread over (default 1: the demo)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the LocalClusters (default 1,2)")
    ap.add_argument("--postgres", default=None, help="a scratch PostgreSQL URL (emptied!) instead of SQLite")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    report = run(args.rows, [int(w) for w in args.workers.split(",") if w], args.postgres, max(1, args.cities))
    return show(report, args.json, _print)


if __name__ == "__main__":
    sys.exit(main())
