"""``haocha ingest`` and ``haocha demo``: parse options, call the pipeline, print the outcome."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from feedback.cli.context import AppContext, fail, pass_app


def _print_results(results: list, as_json: bool, write_paths: dict[int, str] | None = None) -> None:
    """One row (or JSON object) per batch; ``write_paths``: the write path each batch's load took (adbc, or the
    fallback executemany / copy-csv), as ``etl.dbwrite.write_path`` says under the limits the load ran with."""
    paths = write_paths or {}
    if as_json:
        for r in results:
            extra = {"write_path": paths[r.batch_id]} if r.batch_id in paths else {}
            click.echo(json.dumps({**r.as_json(), **extra}, ensure_ascii=False))
        return
    console = Console()
    table = Table(title="导入批次 ingestion batches")
    columns = ["batch", "file", "profile", "read", "loaded", "duplicate", "rejected"] + (["write"] if paths else [])
    for col in columns:
        table.add_column(col, justify="right" if col not in ("file", "profile", "write") else "left")
    for r in results:
        table.add_row(str(r.batch_id), r.file, r.profile, f"{r.read:,}", f"{r.loaded:,}", f"{r.duplicate:,}",
                      f"{r.rejected:,}", *([paths.get(r.batch_id, "")] if paths else []))
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
    from etl.dbwrite import write_path
    from etl.pipeline import InputError, ProfileNotFound, ingest_file, ingest_sql
    from etl.profiles import ProfileError
    from feedback.isolate import LimitExceeded, limited
    from feedback.text.pii import HashKeyError

    if not paths and not sql_url:
        fail("nothing to ingest: give one or more PATHs or --sql-url")
    if sql_url and not watermark:
        fail("--sql-url needs --watermark COLUMN (and --table or --query)")
    engine, settings = app.engine(), app.settings()
    results, paths_taken = [], {}
    try:
        if sql_url:
            results.append(ingest_sql(engine, settings, sql_url, watermark_column=watermark, table=table,
                                      query=query, profile=profile, source=source))
            paths_taken[results[-1].batch_id] = write_path(engine.dialect.name)
        for path in paths:
            bar, update = _progress(not as_json)
            try:  # an untrusted file is read under [security] import_memory_mb / import_timeout_s
                with limited(settings.security.import_limits()):
                    results.append(ingest_file(engine, settings, path, profile=profile, source=source,
                                               sheet=sheet, progress=update))
                    paths_taken[results[-1].batch_id] = write_path(engine.dialect.name)  # under the same cap
            except LimitExceeded as exc:
                raise InputError(f"{path}: {exc}（[security] import_memory_mb / import_timeout_s）") from None
            finally:
                if bar is not None:
                    bar.close()
    except (InputError, ProfileNotFound, ProfileError, HashKeyError) as exc:
        _print_results(results, as_json, paths_taken)
        fail(str(exc))
    if not no_stages and any(r.loaded for r in results):
        _run_stages(app, as_json)
    _print_results(results, as_json, paths_taken)


class _Steps:
    """Plain progress lines on stderr (``==> 评分 12,000/40,000（30%）  41s``), on a terminal or in a log alike, so
    a long `make run` is never silent; none with --json's quiet mode."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled, self.t0, self._clock = enabled, time.perf_counter(), time.perf_counter
        self._shown: dict[str, int] = {}
        self.scored = 0  # records scored so far (the score stage reports batches)

    def say(self, msg: str) -> None:
        if self.enabled:
            click.echo(f"==> {msg}  [{self._clock() - self.t0:,.0f}s]", err=True)

    def count(self, what: str, done: int, total: int, unit: str = "条") -> None:
        """A line at every further tenth of ``total`` (and at the end)."""
        tenth = 10 * done // max(total, 1)
        if total and (tenth > self._shown.get(what, -1) or done >= total):
            self._shown[what] = tenth
            self.say(f"{what} {done:,}/{total:,} {unit}（{done / total:.0%}）")


@click.command("demo")
@click.option("--rows", default=200_000, show_default=True, help="Ratings to generate (messages scale with it).")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--office/--no-office", default=True, show_default=True,
              help="Replay the office's year after loading (cases worked, alerts checked weekly, tasks taken up).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per batch.")
@pass_app
def demo_cmd(app: AppContext, rows: int, seed: int, office: bool, as_json: bool) -> None:
    """Generate a realistic demo year, ingest it, run every later stage, then (--office) replay the office's
    year on it: the ledger, alerts and tasks get a history dated in the demo's past."""
    from datetime import datetime, time, timedelta

    from etl.demo.dates import DEFAULT_END, period
    from etl.demo.generate import region_names, write_demo
    from etl.pipeline import ingest_file
    from feedback.clock import local_now, simulated
    from feedback.db import upgrade
    from feedback.regions import write_region_names

    engine, settings = app.engine(), app.settings()
    steps = _Steps(not as_json)
    upgrade(engine)
    out_dir = settings.instance_path / "demo"
    steps.say(f"生成演示数据 {rows:,} 条评价")
    paths = write_demo(out_dir, rows=rows, seed=seed)
    if not settings.region_names_path.exists():  # the demo city's names, unless names are configured already
        write_region_names(settings.region_names_path, region_names())
    results = []
    for path in paths:
        steps.say(f"导入 {path.name}")
        profile = "zhejiang" if "zhejiang" in path.name else "auto"
        bar, update = _progress(not as_json)
        try:
            results.append(ingest_file(engine, settings, path, profile=profile, progress=update))
        finally:
            if bar is not None:
                bar.close()
    _print_results(results, as_json)
    now = local_now(settings.ingest.timezone)
    # With the office year, the stages run as on the morning after the data's last day (the tasks are built
    # then, so the office can take them up in the weeks after), and the alerts are checked week by week by the
    # replay instead of once here.
    start = datetime.combine(period(DEFAULT_END)[1] + timedelta(days=1), time(8, 0))
    replay = office and start < now
    with simulated(start) if replay else _no_clock():
        outcomes = _run_stages(app, as_json, skip=("alerts",) if replay else (), steps=steps)
    if replay:
        from etl.demo.office import work_the_year

        steps.say("模拟办公年度：台账办理、每周预警、任务推进")
        result = work_the_year(engine, settings, seed=seed, until=now, progress=steps.say)
        if as_json:
            click.echo(json.dumps({"office": result.as_json()}, ensure_ascii=False))
        else:
            click.echo("模拟办公：台账 " + "、".join(f"{k} {v}" for k, v in sorted(result.cases.items()))
                       + f"；超期 {result.overdue} 件；预警 {result.alerts} 条（已处理 {result.alerts_closed}）；"
                       + "任务 " + "、".join(f"{k} {v}" for k, v in sorted(result.tasks.items())))
    steps.say("完成")
    if any(not o.ok for o in outcomes):
        sys.exit(1)


def _no_clock():
    from contextlib import nullcontext

    return nullcontext()


def _run_stages(app: AppContext, as_json: bool, skip: tuple[str, ...] = (), steps: _Steps | None = None) -> list:
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
    steps = steps or _Steps(not as_json)
    bar_advance, bar = progress_bar(not as_json)  # scoring's bar (on stderr, only on a terminal)

    def advance(n: int, total: int) -> None:  # the bar, and a progress line at every tenth
        if bar_advance is not None:
            bar_advance(n, total)
        steps.scored += n
        steps.count("评分", steps.scored, total)

    stages = [replace(s, run=partial(s.run, progress=advance)) if s.name == "score" and not as_json else s
              for s in STAGES if s.name not in skip]

    def report(outcome) -> None:
        if outcome.name == "score" and bar is not None:
            bar.close()
        if outcome.ok:
            printers[outcome.name](outcome.result, as_json)
        else:
            click.echo(f"haocha: stage {outcome.name} failed: {outcome.error}", err=True)

    try:
        return run_stages(app.engine(), app.settings(), stages, on_result=report,
                          on_start=lambda s: steps.say(f"{s.label}（{s.name}）开始" + _first_time(app, s.name)))
    finally:
        if bar is not None:
            bar.close()


def _first_time(app: AppContext, stage: str) -> str:
    """A word on a slow first run: scoring trains the sentiment model once (then it is cached)."""
    models = app.settings().instance_path / "models"
    if stage == "score" and not (models.is_dir() and any(models.iterdir())):
        return "：首次运行先训练情感模型（约1–2分钟），随后逐批评分"
    return ""
