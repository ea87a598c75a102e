"""The province profile at scale: tens of millions of ratings in month-partitioned PostgreSQL.

    python -m bench.scale --url postgresql://postgres@127.0.0.1:5432/haocha_scale --rows 20000000

Builds the database once: ``haocha demo`` of ``--seed-rows`` ratings (ETL, scoring, tasks), ``haocha partition
setup``, then copies of the demo's ratings and their scores (new keys and 办件 numbers, natural ids, the same
days) until ``--rows`` — the copy is in-engine ``INSERT … SELECT``, timed as the bulk rate. Before copying it
measures the bytes per rating of the seed and refuses when the projected size does not fit the free disk (``df``)
with a 20 % margin. Then it reports:

- **disk**: bytes per million ratings (records and scores partitions with their indexes, and ``record_keys``);
- **load**: ``--ingest-rows`` new ratings loaded by the product's ETL (``etl.pipeline.ingest_file``, every check
  on) into the big partitioned database, beside the same file loaded into an empty unpartitioned database in the
  same run (the baseline);
- **later stages** of that load (scoring, rollups of its days, tasks, ledger, alerts), and a full rollup rebuild;
- **overview**, served by ``haocha serve`` with the result cache off (``cache_seconds = 0``, ``stale_seconds =
  0``): cold — the first request of each filter set after the server started; warm — ``wrk`` with one connection
  for ``--duration`` seconds over the same filter sets (p50 / p95), for the page and the API.

``--reuse`` keeps a database that already holds the rows (and the instance folder of its scoring version, kept in
the temp folder under the database's name). Prints one JSON object at the end with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.bigdb import _config, _ensure_database, _haocha, busiest_units, copy_ratings, must_build, workspace
from bench.load import overview_targets, run_wrk, serving


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _bytes(engine) -> int:
    """Records and scores (every partition, indexes and TOAST) and record_keys."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) + pg_total_relation_size('record_keys') "
            "FROM pg_inherits i WHERE i.inhparent = ANY (ARRAY[to_regclass('records'), to_regclass('scores')])"))
            .scalar_one())


def build(url: str, config: Path, rows: int, seed_rows: int, reuse: bool) -> dict:
    engine = _engine(url)
    _haocha(config, "init")
    have = _count(engine, "SELECT count(*) FROM records WHERE kind = 'rating'")
    out: dict = {}
    if must_build(url, have, rows, reuse):
        t0 = time.perf_counter()
        print(f"building: haocha demo --rows {seed_rows:,} …", flush=True)
        _haocha(config, "demo", "--rows", str(seed_rows))
        print("haocha partition setup …", flush=True)
        _haocha(config, "partition", "setup", "--ahead", "3")
        seed = _count(engine, "SELECT count(*) FROM records WHERE kind = 'rating'")
        per_rating = _bytes(engine) / seed
        copies = max(0, -(-rows // seed) - 1)
        need, free = per_rating * seed * (copies + 1), shutil.disk_usage(_data_directory(engine)).free
        print(f"seed: {seed:,} ratings, {per_rating:,.0f} bytes each on disk; {copies} copies need about "
              f"{need / 2**30:,.1f} GiB, {free / 2**30:,.1f} GiB free", flush=True)
        if need * 1.2 > free:
            raise SystemExit(f"not enough disk for {rows:,} ratings: lower --rows (at most about "
                             f"{int(free / 1.2 / per_rating):,} here) and extrapolate from the figures")
        out["copy_seconds"] = copy_ratings(engine, copies)
        out["copied_ratings"] = seed * copies
        print("rebuilding rollups …", flush=True)
        t1 = time.perf_counter()
        from feedback.stats.rollups import refresh_rollups

        refresh_rollups(engine)
        out["rollups_full_seconds"] = time.perf_counter() - t1
        print("opening the copies' 差评 cases (haocha ledger sync) …", flush=True)
        t1 = time.perf_counter()
        _haocha(config, "ledger", "sync")  # else the measured load's ledger stage would open them all
        out["ledger_sync_seconds"] = time.perf_counter() - t1
        out["build_seconds"] = time.perf_counter() - t0
    out.update({
        "ratings": _count(engine, "SELECT count(*) FROM records WHERE kind = 'rating'"),
        "records": _count(engine, "SELECT count(*) FROM records"),
        "bytes": _bytes(engine),
        "months": _count(engine, "SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('records')"),
    })
    with engine.connect() as conn:
        out.update(busiest_units(conn))
    engine.dispose()
    return out


def _data_directory(engine) -> str:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SHOW data_directory")).scalar_one()
        except Exception:  # noqa: BLE001 - not a superuser: the disk of the temp folder is the best guess
            return tempfile.gettempdir()


def _ingest_file(n: int, folder: Path) -> Path:
    from bench.load import _csv, _records

    path = folder / "ingest.csv"
    path.write_bytes(_csv(_records(n, f"S{secrets.token_hex(3)}")))
    return path


def measure_load(url: str, config: Path, path: Path) -> dict:
    """The product's load of ``path`` (seconds, rows/s), then the later stages each timed."""
    from etl.pipeline import ingest_file
    from feedback.db import make_engine
    from feedback.pipeline import run_stages
    from feedback.settings import load_settings

    settings = load_settings(str(config))
    engine = make_engine(settings.database_url)
    t0 = time.perf_counter()
    result = ingest_file(engine, settings, path, profile="national")
    seconds = time.perf_counter() - t0
    stages = {o.name: round(o.seconds, 2) for o in run_stages(engine, settings)}
    engine.dispose()
    return {"loaded": result.loaded, "seconds": round(seconds, 2), "rows_per_s": round(result.loaded / seconds),
            "stages_seconds": stages}


def measure_overview(config: Path, size: dict, port: int, duration: int, folder: Path) -> dict:
    out: dict = {}
    with serving(config, port) as (base, user, password, token):
        for label, (paths, header, value) in overview_targets(base, size, user, password, token).items():
            name = "page" if "page" in label else "api"
            cold = []
            for path in paths:  # the first request of each filter set since the server started
                t0 = time.perf_counter()
                urllib.request.urlopen(urllib.request.Request(base + path, headers={header: value}),
                                       timeout=300).read()
                cold.append((time.perf_counter() - t0) * 1000)
            warm = run_wrk(base, paths, header, value, duration=duration, connections=1, threads=1, folder=folder)
            out[name] = {"cold_ms": sorted(round(c) for c in cold), "cold_max_ms": round(max(cold)),
                         "warm_p50_ms": warm["p50_ms"], "warm_p95_ms": warm["p95_ms"],
                         "warm_requests": warm["requests"], "errors": warm["socket_errors"] + warm["non200"],
                         "load_avg_1m": round(os.getloadavg()[0], 2)}
            print(f"overview {name}: cold max {out[name]['cold_max_ms']:,} ms (each filter set once: "
                  f"{out[name]['cold_ms']}), warm p50 {warm['p50_ms']:.0f} ms, p95 {warm['p95_ms']:.0f} ms "
                  f"({warm['requests']} requests, 1 connection), load average {out[name]['load_avg_1m']}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="PostgreSQL URL of a database for the benchmark (created)")
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--seed-rows", type=int, default=200_000)
    ap.add_argument("--reuse", action="store_true", help="keep a database that already holds --rows ratings")
    ap.add_argument("--ingest-rows", type=int, default=200_000)
    ap.add_argument("--duration", type=int, default=30, help="seconds of wrk per overview target")
    ap.add_argument("--port", type=int, default=8098)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    # The instance folder (the scoring version's model files) outlives the run, so --reuse can score again.
    os.environ.setdefault("HAOCHA_INSTANCE_DIR",
                          str(Path(tempfile.gettempdir()) / f"haocha-scale-instance-{args.url.rsplit('/', 1)[1]}"))
    folder, config = workspace(args.url, "haocha-scale-", cache_seconds=0)
    body = re.sub(r"(?m)^stale_seconds = .*$", "stale_seconds = 0", config.read_text(encoding="utf-8"), count=1)
    config.write_text(body, encoding="utf-8")
    size = build(args.url, config, args.rows, args.seed_rows, args.reuse)
    per_million = size["bytes"] / size["ratings"] * 1e6
    print(f"data: {size['ratings']:,} ratings ({size['records']:,} records) in {size['months']} month partitions, "
          f"{size['bytes'] / 2**30:,.1f} GiB: {per_million / 2**30:,.2f} GiB per million ratings", flush=True)
    if "copy_seconds" in size:
        print(f"bulk copy: {size['copied_ratings']:,} ratings with scores in {size['copy_seconds']:,.0f} s "
              f"({size['copied_ratings'] / size['copy_seconds']:,.0f} ratings/s); full rollup rebuild "
              f"{size['rollups_full_seconds']:,.0f} s", flush=True)
    path = _ingest_file(args.ingest_rows, folder)
    big = measure_load(args.url, config, path)
    base_url = args.url.rsplit("/", 1)[0] + "/" + args.url.rsplit("/", 1)[1] + "_baseline"
    _ensure_database(base_url)
    base_config = folder / "baseline"
    base_config.mkdir()
    base_config = _config(base_url, base_config, cache_seconds=0)
    _haocha(base_config, "init")
    baseline = measure_load(base_url, base_config, path)
    print(f"load of {args.ingest_rows:,} ratings: {big['rows_per_s']:,} rows/s into the {size['ratings']:,}-rating "
          f"partitioned database, {baseline['rows_per_s']:,} rows/s into an empty unpartitioned one (baseline); "
          f"stages after it {big['stages_seconds']} (baseline {baseline['stages_seconds']})", flush=True)
    overview = measure_overview(config, size, args.port, args.duration, folder)
    if args.json:
        print(json.dumps({"size": size, "gib_per_million": round(per_million / 2**30, 3), "load": big,
                          "load_baseline": baseline, "overview": overview}, ensure_ascii=False))
    shutil.rmtree(folder, ignore_errors=True)
    admin = _engine(args.url.rsplit("/", 1)[0] + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base_url.rsplit("/", 1)[1]}"'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
