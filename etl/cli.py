"""``haocha ingest`` and ``haocha demo``: parse options, call the pipeline, print the outcome."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from feedback.cli.context import AppContext, fail, pass_app


def _print_results(results: list, as_json: bool) -> None:
    if as_json:
        for r in results:
            click.echo(json.dumps(r.as_json(), ensure_ascii=False))
        return
    console = Console()
    table = Table(title="导入批次 ingestion batches")
    for col in ("batch", "file", "profile", "read", "loaded", "duplicate", "rejected"):
        table.add_column(col, justify="right" if col not in ("file", "profile") else "left")
    for r in results:
        table.add_row(str(r.batch_id), r.file, r.profile, f"{r.read:,}", f"{r.loaded:,}", f"{r.duplicate:,}",
                      f"{r.rejected:,}")
    console.print(table)
    for r in results:
        if r.resumed_from:
            console.print(f"batch {r.batch_id}: resumed an interrupted load after row {r.resumed_from:,}")
        if r.first_rejects:
            rej = Table(title=f"first rejects of batch {r.batch_id} ({r.rejected:,} in all)")
            for col in ("row", "column", "reason"):
                rej.add_column(col)
            for x in r.first_rejects:
                rej.add_row(str(x["row_number"]), x["column"] or "", x["reason"])
            console.print(rej)


def _progress(enabled: bool):
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(unit=" rows", unit_scale=True, leave=False, disable=None)
    return bar, bar.update


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--profile", default="auto", show_default=True, help="Source profile name, or auto to detect it.")
@click.option("--source", default=None, help="Source system name (default: the profile name).")
@click.option("--sheet", default=None, help="Sheet of an .xlsx file (default: the first).")
@click.option("--sql-url", default=None, help="Pull from a SQL source (any SQLAlchemy URL) instead of files.")
@click.option("--table", default=None, help="Table of the SQL source.")
@click.option("--query", default=None, help="SELECT of the SQL source (instead of --table).")
@click.option("--watermark", default=None, help="Watermark column of the SQL source (incremental pulls).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per batch (the last lines).")
@click.option("--no-stages", is_flag=True,
              help="Only load: skip the later stages (scoring, rollups, tasks, ledger, alerts).")
@pass_app
def ingest_cmd(app: AppContext, paths, profile, source, sheet, sql_url, table, query, watermark, as_json,
               no_stages) -> None:
    """Load rating / message files (CSV in any Chinese encoding, .xlsx, JSON Lines) or a SQL source.

    When new records were loaded, the later stages (scoring, rollups, tasks, ledger, alerts …) run after the
    load; a failing stage is reported and the next one still runs. The batch summary is printed last."""
    from etl.pipeline import InputError, ProfileNotFound, ingest_file, ingest_sql
    from etl.profiles import ProfileError
    from feedback.isolate import LimitExceeded, limited
    from feedback.text.pii import HashKeyError

    if not paths and not sql_url:
        fail("nothing to ingest: give one or more PATHs or --sql-url")
    if sql_url and not watermark:
        fail("--sql-url needs --watermark COLUMN (and --table or --query)")
    engine, settings = app.engine(), app.settings()
    results = []
    try:
        if sql_url:
            results.append(ingest_sql(engine, settings, sql_url, watermark_column=watermark, table=table,
                                      query=query, profile=profile, source=source))
        for path in paths:
            bar, update = _progress(not as_json)
            try:  # an untrusted file is read under [security] import_memory_mb / import_timeout_s
                with limited(settings.security.import_limits()):
                    results.append(ingest_file(engine, settings, path, profile=profile, source=source,
                                               sheet=sheet, progress=update))
            except LimitExceeded as exc:
                raise InputError(f"{path}: {exc}（[security] import_memory_mb / import_timeout_s）") from None
            finally:
                if bar is not None:
                    bar.close()
    except (InputError, ProfileNotFound, ProfileError, HashKeyError) as exc:
        _print_results(results, as_json)
        fail(str(exc))
    if not no_stages and any(r.loaded for r in results):
        _run_stages(app, as_json)
    _print_results(results, as_json)


@click.command("demo")
@click.option("--rows", default=200_000, show_default=True, help="Ratings to generate (messages scale with it).")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per batch.")
@pass_app
def demo_cmd(app: AppContext, rows: int, seed: int, as_json: bool) -> None:
    """Generate a realistic demo year, ingest it, and run every later stage that exists."""
    from etl.demo.generate import region_names, write_demo
    from etl.pipeline import ingest_file
    from feedback.db import upgrade
    from feedback.regions import write_region_names

    engine, settings = app.engine(), app.settings()
    upgrade(engine)
    out_dir = settings.instance_path / "demo"
    paths = write_demo(out_dir, rows=rows, seed=seed)
    if not settings.region_names_path.exists():  # the demo city's names, unless names are configured already
        write_region_names(settings.region_names_path, region_names())
    results = []
    for path in paths:
        profile = "zhejiang" if "zhejiang" in path.name else "auto"
        bar, update = _progress(not as_json)
        try:
            results.append(ingest_file(engine, settings, path, profile=profile, progress=update))
        finally:
            if bar is not None:
                bar.close()
    _print_results(results, as_json)
    if any(not o.ok for o in _run_stages(app, as_json)):
        sys.exit(1)


def _run_stages(app: AppContext, as_json: bool) -> list:
    """The later stages (feedback.pipeline), each result printed as soon as its stage is done. The records are
    committed already, so a stage that fails is reported on stderr and the others still run (rerun it, e.g.
    `haocha alerts`, once fixed)."""
    from dataclasses import replace
    from functools import partial

    from feedback.cli.alerts import print_alerts_stage
    from feedback.cli.kpi import print_rollup_stage
    from feedback.cli.ledger import print_ledger_stage
    from feedback.cli.scoring import print_score_stage, progress_bar
    from feedback.cli.tasks import print_tasks_stage
    from feedback.pipeline import STAGES, run_stages

    printers = {"score": print_score_stage, "rollups": print_rollup_stage, "tasks": print_tasks_stage,
                "ledger": print_ledger_stage, "alerts": print_alerts_stage}
    advance, bar = progress_bar(not as_json)  # scoring's bar (on stderr, only on a terminal)
    stages = [replace(s, run=partial(s.run, progress=advance)) if s.name == "score" and advance else s
              for s in STAGES]

    def report(outcome) -> None:
        if outcome.name == "score" and bar is not None:
            bar.close()
        if outcome.ok:
            printers[outcome.name](outcome.result, as_json)
        else:
            click.echo(f"haocha: stage {outcome.name} failed: {outcome.error}", err=True)

    try:
        return run_stages(app.engine(), app.settings(), stages, on_result=report)
    finally:
        if bar is not None:
            bar.close()
