"""``haocha report monthly``: build a month's bulletin (feedback.bulletin) and write it as HTML, XLSX and DOCX."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from feedback.cli.context import AppContext, fail, pass_app
from feedback.regions import read_region_names
from feedback.regions import region_names as configured_names


@click.group("report")
def report_group() -> None:
    """Reports: the monthly bulletin (月度通报)."""


def month_list(values: tuple[str, ...]) -> list[str]:
    """Months from ``--month`` values: YYYY-MM, or a range YYYY-MM..YYYY-MM (both ends included), in order."""
    from feedback.stats import kpi

    out: list[str] = []
    for value in values:
        first, _, last = value.partition("..")
        for m in (first, last) if last else (first,):
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m):
                raise click.UsageError(f"--month '{value}' is not YYYY-MM or YYYY-MM..YYYY-MM")
        if last and last < first:
            raise click.UsageError(f"--month '{value}': the range ends before it starts")
        m = first
        while True:
            out.append(m)
            if not last or m == last:
                break
            m = kpi.shift_month(m, 1)
        if len(out) > 120:
            raise click.UsageError("--month: at most 120 months at a time")
    return list(dict.fromkeys(out))


def _write_month(job: dict) -> dict:
    """Build one month's bulletin and write its files (one worker process, its own engine)."""
    from dashboards.reports import write
    from feedback.bulletin import build_bulletin
    from feedback.db import make_engine
    from feedback.filters import Filters

    settings = job["settings"]
    started = time.perf_counter()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            bulletin = build_bulletin(conn, job["month"], Filters(depts=job["depts"], regions=job["regions"]),
                                      settings=settings, region_names=job["names"], issuer=job["issuer"],
                                      issue_no=job["issue_no"])
    finally:
        engine.dispose()
    paths = write(bulletin, dict.fromkeys(job["formats"]), job["out_dir"])
    return {"month": bulletin.month, "scope": bulletin.scope, "seconds": round(time.perf_counter() - started, 3),
            "files": {f: str(p) for f, p in paths.items()}, "kpis": bulletin.kpis,
            "problems": bulletin.problems, "actions": bulletin.actions}


@report_group.command("monthly")
@click.option("--month", "months", multiple=True, metavar="YYYY-MM",
              help="Month to report, or a range YYYY-MM..YYYY-MM; repeatable (default: the latest in the data).")
@click.option("--jobs", type=click.IntRange(1, 32), default=None,
              help="Bulletins built at once, one process each (default: one per CPU core, at most the months).")
@click.option("--format", "formats", default="html,xlsx,docx", show_default=True,
              help="Comma-separated formats: html, xlsx, docx.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to write the files into (created when missing).")
@click.option("--dept", "depts", multiple=True, help="Only this department code (repeatable): its own bulletin.")
@click.option("--region", "regions", multiple=True, help="Only this region code, 12 digits (repeatable).")
@click.option("--region-names", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of region code,name to print names instead of codes (default: [paths] region_names).")
@click.option("--issuer", default=None, help="Issuing office printed in the red header (default: [bulletin] issuer).")
@click.option("--issue-no", default=None,
              help="文号 line, e.g. 清政服办〔2026〕10号 (default: [bulletin] issue_no_pattern).")
@click.option("--json", "json_out", is_flag=True, help="Print one JSON object: files, headline KPIs, sentences.")
@pass_app
def monthly_cmd(app: AppContext, months: tuple[str, ...], jobs: int | None, formats: str, out_dir: str,
                depts: tuple[str, ...], regions: tuple[str, ...], region_names: str | None, issuer: str | None,
                issue_no: str | None, json_out: bool) -> None:
    """Write the monthly bulletin: headline KPIs with 环比/同比 (the figures of `haocha kpi`), channels, levels,
    红榜/黑榜 of regions and departments with case-mix-adjusted 差评率, top services and tags, complaint
    categories, optimisation tasks, the rectification ledger, and 存在问题与下步工作."""
    from dashboards.reports import FORMATS
    from feedback.stats import periods

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        fail(f"--format: unknown {unknown or formats!r}; use {', '.join(FORMATS)}")
    try:
        chosen = month_list(months)
    except click.UsageError as exc:
        fail(exc.message)
    settings, engine = app.settings(), app.engine()
    try:
        with engine.connect() as conn:
            chosen = chosen or [m for m in [periods.latest_month(conn)] if m]
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database not ready ({type(exc.orig).__name__}): run `haocha init`")
    if not chosen:
        fail("no ratings in the rollups: load data, then run `haocha kpi --refresh`")
    names = read_region_names(region_names) if region_names else configured_names(settings)
    base = {"settings": settings, "depts": depts, "regions": regions, "names": names,
            "issuer": issuer, "issue_no": issue_no, "formats": wanted, "out_dir": out_dir}
    work = [{**base, "month": m} for m in chosen]
    workers = min(jobs or os.cpu_count() or 1, len(work))
    try:
        if workers == 1:
            results = [_write_month(j) for j in work]
        else:
            # each month is independent: built and written in its own process (pandas, matplotlib and
            # python-docx hold the GIL, so threads would not help); results come back in month order
            engine.dispose()  # no pooled connection may be shared with the forked workers
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
                results = list(pool.map(_write_month, work))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"database not ready ({type(exc.orig).__name__}): run `haocha init`")
    for r in results:
        if json_out:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            for path in r["files"].values():
                click.echo(str(Path(path)))

