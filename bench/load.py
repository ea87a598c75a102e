"""HTTP load test of the dashboard: the overview and its API under a real load tool on loopback.

    python -m bench.load --url postgresql://postgres@127.0.0.1:5432/haocha_load --rows 10000000

Builds the database once (``haocha demo`` of ``--seed-rows`` ratings through the normal ETL and scoring, then
copies of those records with new keys and 办件 numbers, on the same days, until ``--rows``; scores are copied with
them; rollups are rebuilt), starts ``haocha serve`` (waitress) in a child process, and drives it with ``wrk``
(Debian's package: ``apt-get install wrk``) over a rotating set of filtered URLs for ``--duration`` seconds.
Prints the data size and, per target, requests, p50 / p95 / p99 latency and errors. ``--cache-seconds 0``
measures the uncached path (every request reads the rollups and builds its figures). ``--reuse`` keeps a database
that already holds the rows. ``--processes N`` serves with N web processes (gunicorn workers; the job queue is
switched on in the benchmark's config, as several processes need it).

``--mixed`` measures each target twice: alone, then while ``--mixed-workers`` clients upload CSV files through
数据导入 (upload → preview → confirm: each preview and import runs in its own child process) and push batches to
``POST /api/v1/push`` without pause. It prints both p95s side by side, the uploads and pushes done and every error
of either (a non-2xx answer, a failed import), and the 1-minute load average before and during.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.bigdb import _haocha, busiest_units, compact_rollups, copy_ratings, must_build, workspace

# Filter sets the overview is asked for (the URL forms of feedback.filters); wrk rotates through them.
QUERIES = (
    "", "start=2026-10-01&end=2026-10-31", "start=2026-01-01&end=2026-06-30&channel=hall_pad&channel=hall_terminal",
    "level=1&level=2", "dept={dept}", "dept={dept}&start=2026-07-01&end=2026-09-30", "region={region}",
    "start=2025-11-01&end=2026-10-31&grain=week", "grain=day&start=2026-08-01&end=2026-10-31",
)

WRK_SCRIPT = r"""
local paths = {%(paths)s}
local i = 0
local bad = 0
wrk.headers["%(header)s"] = "%(value)s"
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.1f, "p95_ms": %%.1f, '
    .. '"p99_ms": %%.1f, "max_ms": %%.1f, "socket_errors": %%d, "non200": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def build(url: str, config: Path, rows: int, seed_rows: int, reuse: bool) -> dict:
    from feedback.models import Record, RollupDaily
    from feedback.stats.rollups import refresh_rollups

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    _haocha(config, "init")
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Record).where(Record.kind == "rating")).scalar_one()
    if must_build(url, have, rows, reuse):
        t0 = time.perf_counter()
        print(f"building: haocha demo --rows {seed_rows:,} …", flush=True)
        _haocha(config, "demo", "--rows", str(seed_rows))
        copies = max(0, -(-rows // seed_rows) - 1)
        print(f"copying the ratings {copies} more times …", flush=True)
        copy_ratings(engine, copies)
        print("rebuilding rollups …", flush=True)
        refresh_rollups(engine)
        compact_rollups(engine)
        print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)
    with engine.connect() as conn:
        size = {
            "ratings": conn.execute(select(func.count()).select_from(Record).where(Record.kind == "rating"))
            .scalar_one(),
            "records": conn.execute(select(func.count()).select_from(Record)).scalar_one(),
            "rollup_daily_rows": conn.execute(select(func.count()).select_from(RollupDaily)).scalar_one(),
            **busiest_units(conn),
        }
    engine.dispose()
    return size


def _wait(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not answer within a minute")


def _session_cookie(base: str, user: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    body = urllib.parse.urlencode({"username": user, "password": password, "csrf_token": token.group(1)})
    opener.open(f"{base}/login", data=body.encode()).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def run_wrk(base: str, paths: list[str], header: str, value: str, *, duration: int, connections: int,
            threads: int, folder: Path) -> dict:
    script = folder / "rotate.lua"
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths), "header": header,
                                    "value": value}, encoding="utf-8")
    # warm-up: every path once in turn (the process's first requests, and with the cache on its first entries)
    for path in paths:
        urllib.request.urlopen(urllib.request.Request(base + path, headers={header: value}), timeout=120).read()
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
                          "-s", str(script), base], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK "))
    result = json.loads(line[4:])
    result["requests_per_s"] = round(result["requests"] / result["seconds"], 1)
    return result


def _records(n: int, tag: str) -> list[dict]:
    """National-profile ratings with keys of their own (``tag``), on days inside the demo year."""
    return [{"projectNo": f"LD{tag}{i:05d}", "taskCode": "T001", "taskName": "社保卡申领",
             "deptCode": "11439900MB1234567X", "proDepart": "市人力资源和社会保障局", "areaCode": "439901",
             "pf": str(1 + i % 7), "satisfaction": str(5 - i % 5), "writingEvaluation": "排队太久" if i % 4 else "",
             "assessTime": f"2026-09-{1 + i % 28:02d} 10:{i % 60:02d}:00", "assessNumber": "1", "userProp": "1"}
            for i in range(n)]


def _csv(records: list[dict]) -> bytes:
    heads = list(records[0])
    lines = [",".join(heads)] + [",".join(str(r.get(h, "")) for h in heads) for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep the 302 and its Location
        return None


class Background(threading.Thread):
    """One client that alternately uploads a file (and confirms it) and pushes a batch until stopped."""

    def __init__(self, base: str, cookie: str, token: str, worker: int, rows: int):
        super().__init__(daemon=True)
        self.base, self.cookie, self.token, self.worker, self.rows = base, cookie, token, worker, rows
        self.stop = threading.Event()
        self.uploads = self.pushes = 0
        self.errors: list[str] = []
        self.opener = urllib.request.build_opener(_NoRedirect)

    def _open(self, path: str, data: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            return self.opener.open(req, timeout=300)
        except urllib.error.HTTPError as exc:  # a 302 arrives here too (no redirect followed)
            return exc

    def _csrf(self) -> str:
        page = self._open("/ingest", headers={"Cookie": self.cookie}).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def upload(self, n: int) -> None:
        boundary = secrets.token_hex(12)
        data = _csv(_records(self.rows, f"U{self.worker}x{n}"))
        csrf = self._csrf()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"load{n}.csv\"\r\n"
                "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        r = self._open("/ingest/upload", body, {"Cookie": self.cookie,
                                                "Content-Type": f"multipart/form-data; boundary={boundary}"})
        where = r.headers.get("Location", "")
        if r.status != 302 or "/ingest/preview/" not in where:
            self.errors.append(f"upload {r.status} {where}")
            return
        token = where.rsplit("/", 1)[1]
        form = urllib.parse.urlencode({"csrf_token": csrf}).encode()
        r = self._open(f"/ingest/confirm/{token}", form, {"Cookie": self.cookie,
                                                           "Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 302 or not r.headers.get("Location", "").endswith("/ingest"):
            self.errors.append(f"import {r.status} {r.headers.get('Location', '')}")
            return
        self.uploads += 1

    def push(self, n: int) -> None:
        body = json.dumps({"profile": "national", "batch_id": f"load-{self.worker}-{n}-{secrets.token_hex(3)}",
                           "records": _records(self.rows, f"P{self.worker}x{n}")}).encode()
        r = self._open("/api/v1/push", body, {"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        if r.status not in (200, 201):
            self.errors.append(f"push {r.status} {r.read(300).decode(errors='replace')}")
            return
        self.pushes += 1

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                (self.upload if n % 2 else self.push)(n)
            except Exception as exc:  # noqa: BLE001 - counted, the load goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")


@contextmanager
def serving(config: Path, port: int) -> Iterator[tuple[str, str, str, str]]:
    """``haocha serve`` in a child process with a new admin account: (base URL, user, password, API token)."""
    user, password = f"bench-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    _haocha(config, "users", "add", user, "--role", "admin", "--password-stdin", stdin=password + "\n")
    token = _haocha(config, "users", "token", user).strip().split()[-1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(Path(sys.executable).with_name("haocha")), "--config", str(config), "serve",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(base)
        yield base, user, password, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def overview_targets(base: str, size: dict, user: str, password: str, token: str) -> dict[str, tuple]:
    """The overview page (session cookie) and its API (bearer token), each over the QUERIES filter sets."""
    queries = [q.format(dept=size["dept"], region=size["region"]) for q in QUERIES]
    return {
        "overview page (GET /)": ([f"/?{q}" for q in queries], "Cookie", _session_cookie(base, user, password)),
        "overview API (GET /api/v1/overview)": ([f"/api/v1/overview?{q}" for q in queries], "Authorization",
                                                f"Bearer {token}"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="PostgreSQL URL of a database for the benchmark (created)")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed-rows", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true", help="keep a database that already holds --rows ratings")
    ap.add_argument("--duration", type=int, default=60, help="seconds of load per target")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--port", type=int, default=8097)
    ap.add_argument("--cache-seconds", type=int, default=60,
                    help="[dashboard] cache_seconds of the served app (0 = every request computes)")
    ap.add_argument("--mixed", action="store_true",
                    help="also measure each target during concurrent uploads (through 数据导入) and pushes")
    ap.add_argument("--mixed-workers", type=int, default=2, help="clients uploading and pushing at once")
    ap.add_argument("--mixed-rows", type=int, default=500, help="ratings per uploaded file / pushed batch")
    ap.add_argument("--background-nice", type=int, default=None,
                    help="[security] background_nice of the server (default: config.toml's)")
    ap.add_argument("--processes", type=int, default=1,
                    help="web processes of the server (haocha serve --processes; above 1 with the job queue)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    folder, config = workspace(args.url, "haocha-load-", args.cache_seconds, args.background_nice, args.processes)
    size = build(args.url, config, args.rows, args.seed_rows, args.reuse)
    print(f"data: {size['ratings']:,} ratings, {size['records']:,} records, "
          f"{size['rollup_daily_rows']:,} daily rollup rows", flush=True)
    results: dict[str, dict] = {}
    with serving(config, args.port) as (base, user, password, token):
        targets = overview_targets(base, size, user, password, token)
        for name, (paths, header, value) in targets.items():
            r = run_wrk(base, paths, header, value, duration=args.duration, connections=args.connections,
                        threads=args.threads, folder=folder)
            r["load_avg_1m"] = round(os.getloadavg()[0], 2)
            results[name] = r
            print(f"{name}: {r['requests']:,} requests in {r['seconds']:.0f} s ({r['requests_per_s']}/s), "
                  f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
                  f"errors {r['socket_errors'] + r['non200']}, load average {r['load_avg_1m']}", flush=True)
        if args.mixed:
            results.update(_mixed(base, targets, results, args, folder, user, password, token))
    if args.json:
        print(json.dumps({"size": size, "connections": args.connections, "processes": args.processes,
                          "results": results}, ensure_ascii=False))
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def _mixed(base: str, targets: dict, alone: dict, args, folder: Path, user: str, password: str,
           token: str) -> dict[str, dict]:
    """Each target again while ``--mixed-workers`` clients upload and push; figures beside the ones alone."""
    workers = [Background(base, _session_cookie(base, user, password), token, w, args.mixed_rows)
               for w in range(args.mixed_workers)]
    for w in workers:
        w.start()
    time.sleep(5)  # the first uploads are on their way
    out: dict[str, dict] = {}
    try:
        for name, (paths, header, value) in targets.items():
            r = run_wrk(base, paths, header, value, duration=args.duration, connections=args.connections,
                        threads=args.threads, folder=folder)
            r["load_avg_1m"] = round(os.getloadavg()[0], 2)
            out[f"{name} during uploads and pushes"] = r
            print(f"{name} during uploads and pushes: {r['requests']:,} requests, p50 {r['p50_ms']:.0f} ms, "
                  f"p95 {r['p95_ms']:.0f} ms (alone {alone[name]['p95_ms']:.0f} ms), p99 {r['p99_ms']:.0f} ms, "
                  f"errors {r['socket_errors'] + r['non200']}, load average {r['load_avg_1m']}", flush=True)
    finally:
        for w in workers:
            w.stop.set()
        for w in workers:
            w.join(timeout=600)
    errors = [e for w in workers for e in w.errors]
    background = {"uploads": sum(w.uploads for w in workers), "pushes": sum(w.pushes for w in workers),
                  "errors": len(errors), "first_errors": errors[:5]}
    print(f"background: {background['uploads']} uploads imported, {background['pushes']} pushes, "
          f"{background['errors']} errors {errors[:5] if errors else ''}", flush=True)
    return {**out, "background": background}


if __name__ == "__main__":
    sys.exit(main())
