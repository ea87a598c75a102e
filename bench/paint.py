"""First paint of 总览 in headless Chromium: ``python -m bench.paint [--runs N] [--profiles loopback,20mbit]``.

Serves the configured database (run `haocha demo` first) twice in this process: "before" with the full plotly.js
of the plotly package and no compression ([dashboard] plotly_basic = false, compress_static = false), "after" with
the settings' own values (by default the vendored basic bundle, compressed). For each network profile (loopback;
20mbit: 20 Mbit/s down, 5 up, 20 ms latency, emulated through the Chrome DevTools protocol) and each variant it
opens 总览 with an empty browser cache N times and prints the settle time (navigation start → every chart drawn)
median / p95, the server's answer time for the page and the bytes transferred. Needs Debian's chromium and
playwright. Signs in as the user ``paint-bench`` (created as a viewer, or its password reset, on each run)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import secrets
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from feedback.db import make_engine
from feedback.settings import load_settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
USER = "paint-bench"
PROFILES = {  # name → DevTools Network.emulateNetworkConditions (None: no throttling)
    "loopback": None,
    "20mbit": {"offline": False, "latency": 20, "downloadThroughput": 20e6 / 8, "uploadThroughput": 5e6 / 8},
}
SETTLED = """() => {
  const want = document.querySelectorAll('[data-figure]').length;
  return want > 0 && document.querySelectorAll('[data-figure].js-plotly-plot .main-svg').length >= want;
}"""
FIGURES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  return {settle: performance.now(), server: nav.responseStart - nav.requestStart,
          bytes: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0),
          charts: document.querySelectorAll('[data-figure]').length};
}"""


def bench_user(engine) -> str:
    """The bench user's fresh password (the user is created as a viewer when missing)."""
    from dashboards.users import create_user, set_password
    from feedback.models import User

    password = secrets.token_urlsafe(16)
    with engine.begin() as conn:
        if conn.execute(select(User.id).where(User.username == USER)).first():
            set_password(conn, USER, password)
        else:
            create_user(conn, USER, password, "viewer")
    return password


@contextmanager
def serving(settings, engine, **options) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboards.app import create_app

    app = create_app(settings, engine, options=dataclasses.replace(settings.dashboard, **options))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def one_paint(browser, base: str, password: str, throttle: dict | None) -> dict:
    """Sign in, empty the cache, open 总览 (throttled when asked) and wait until every chart is drawn."""
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    if throttle:
        cdp.send("Network.emulateNetworkConditions", throttle)
    page.goto(f"{base}/", wait_until="commit")
    page.wait_for_function(SETTLED, timeout=120_000, polling=20)
    out = page.evaluate(FIGURES)
    context.close()
    return out


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="cold page loads per profile and variant")
    parser.add_argument("--profiles", default="loopback,20mbit", help=f"comma-separated: {', '.join(PROFILES)}")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    settings = load_settings()
    engine = make_engine(settings.database_url)
    password = bench_user(engine)
    variants = {"before": {"plotly_basic": False, "compress_static": False}, "after": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        with serving(settings, engine, **variants["before"]) as before, serving(settings, engine) as after:
            bases = {"before": before, "after": after}
            for base in bases.values():  # warm the server's result cache: the first paint is not a cold database
                one_paint(browser, base, password, None)
            for profile in args.profiles.split(","):
                for name, base in bases.items():
                    runs = [one_paint(browser, base, password, PROFILES[profile]) for _ in range(args.runs)]
                    settle = [r["settle"] for r in runs]
                    print(f"{profile:<9} {name:<6} settle p50 {statistics.median(settle):7.0f} ms  "
                          f"p95 {p95(settle):7.0f} ms  server {statistics.median(r['server'] for r in runs):5.0f} ms  "
                          f"transferred {runs[0]['bytes'] / 1024:7.0f} KB  ({runs[0]['charts']} charts, "
                          f"{args.runs} runs)", flush=True)
        browser.close()
    engine.dispose()


if __name__ == "__main__":
    main()
