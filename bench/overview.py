"""Time the 总览 query function on the configured database: ``python -m bench.overview [--runs N]``.

Prints p50 / p95 of ``overview_data`` (what the page and GET /api/v1/overview call) per grain, and how much of it
was spent in the database (SQL) versus in Python (pandas KPI formulas), so a slow figure says where to look."""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import event

from dashboards.queries.overview import overview_data
from feedback.db import make_engine
from feedback.filters import Filters
from feedback.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--dept", default=None, help="a department code: time a department-bound user")
    args = parser.parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    sql = [0.0, 0]

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        sql[0] += time.perf_counter() - conn.info.pop("t0")
        sql[1] += 1

    filters = Filters().scoped(args.dept)
    with engine.connect() as conn:
        for grain in ("day", "week", "month"):
            overview_data(conn, filters, args.dept, grain=grain, settings=settings)  # warm caches
            times, sql_times = [], []
            for _ in range(args.runs):
                sql[:] = [0.0, 0]
                t0 = time.perf_counter()
                overview_data(conn, filters, args.dept, grain=grain, settings=settings)
                times.append(time.perf_counter() - t0)
                sql_times.append(sql[0])
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"grain={grain:<5} p50 {statistics.median(times) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
                  f"SQL {statistics.median(sql_times) * 1000:7.1f} ms in {sql[1]} statements  "
                  f"({engine.dialect.name}, {args.runs} runs)")


if __name__ == "__main__":
    main()
