"""The later stages as plain calls: their order, one rollup refresh per run, a failing stage recorded while the
later ones still run, [alerts] enabled honoured, and a run from the web runner writing nothing to stdout."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from etl.pipeline import ingest_file
from feedback import pipeline
from feedback.cli import main
from feedback.models import LedgerCase, RollupDaily, Score, Task
from feedback.pipeline import STAGES, StageOutcome, run_stages
from feedback.scoring.score import ScoringError
from feedback.stats import rollups
from tests.etl.test_pipeline import national_rows, write_csv


@pytest.fixture
def loaded(engine, settings, tmp_path):
    """A store with 40 unscored national ratings (some 差评 among them)."""
    result = ingest_file(engine, settings, write_csv(tmp_path / "n.csv", national_rows(40)), profile="national")
    assert result.loaded == 40
    return engine


@pytest.fixture
def refreshes(monkeypatch):
    """Count the rollup refreshes (wherever they are asked for)."""
    calls = []
    real = rollups.refresh_rollups

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(rollups, "refresh_rollups", counting)
    return calls


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_stages_run_in_order_and_return_their_results(loaded, settings, refreshes):
    assert [s.name for s in STAGES] == ["score", "rollups", "tasks", "ledger", "alerts"]
    seen = []
    outcomes = run_stages(loaded, settings, on_result=seen.append)
    assert seen == outcomes and all(isinstance(o, StageOutcome) for o in outcomes)
    assert [(o.name, o.ok, o.error) for o in outcomes] == [(s.name, True, None) for s in STAGES]
    score, rolled, tasks, ledger, alerts = (o.result for o in outcomes)
    assert score.scored == 40 == _count(loaded, Score)
    assert rolled.fine_rows > 0 and _count(loaded, RollupDaily) == rolled.fine_rows
    assert tasks.summary.tasks == _count(loaded, Task) and len(tasks.top) <= 10
    assert ledger.opened == _count(loaded, LedgerCase) > 0
    assert alerts.open >= 0
    assert len(refreshes) == 1  # scoring leaves the refresh to the rollups stage


def test_ingest_refreshes_the_rollups_once(runner, tmp_path, refreshes):
    assert runner.invoke(main, ["init"]).exit_code == 0
    path = write_csv(tmp_path / "n.csv", national_rows(20))
    res = runner.invoke(main, ["ingest", str(path), "--profile", "national"])
    assert res.exit_code == 0, res.output
    assert "scored 20 records" in res.output and "rollups refreshed" in res.output
    assert len(refreshes) == 1


def test_a_failing_stage_is_recorded_and_the_later_ones_still_run(loaded, settings):
    def broken(engine, settings):
        raise ScoringError("no active model version")

    stages = [replace(s, run=broken) if s.name == "score" else s for s in STAGES]
    outcomes = run_stages(loaded, settings, stages)
    assert [(o.name, o.ok) for o in outcomes] == [("score", False)] + [(s.name, True) for s in STAGES[1:]]
    assert outcomes[0].error == "ScoringError: no active model version" and outcomes[0].result is None
    assert _count(loaded, Score) == 0 and _count(loaded, LedgerCase) > 0


def test_ingest_reports_a_failing_stage_and_still_prints_the_batch(runner, tmp_path, monkeypatch):
    def broken(engine, settings):
        raise ScoringError("no active model version")

    monkeypatch.setattr(pipeline, "STAGES", tuple(replace(s, run=broken) if s.name == "score" else s
                                                  for s in STAGES))
    runner.invoke(main, ["init"])
    res = runner.invoke(main, ["ingest", str(write_csv(tmp_path / "n.csv", national_rows(20))), "--json"])
    assert res.exit_code == 0, res.output
    assert "haocha: stage score failed: ScoringError: no active model version" in res.output
    lines = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    assert any(x.get("stage") == "tasks" for x in lines) and lines[-1]["loaded"] == 20


def test_alerts_stage_honours_enabled(loaded, settings_factory, db_url):
    off = settings_factory(db_url, ingest={"chunk_size": 1000}, alerts={"enabled": False})
    [outcome] = run_stages(loaded, off, [pipeline.stage("alerts")])
    assert outcome.ok and outcome.result is None


def test_a_run_from_the_web_runner_writes_nothing_to_stdout(loaded, settings, capfd):
    from dashboards.actions import jobs

    done = threading.Event()
    runner = jobs.default_runner(loaded, settings, on_done=done.set)
    capfd.readouterr()
    runner.submit(1)
    assert done.wait(600)  # a guard against a hang only: the run fits the scoring models (minutes on a busy machine)
    for _ in range(100):
        if runner.status(1)["status"] != "running":
            break
        threading.Event().wait(0.05)
    assert runner.status(1)["status"] == "done", runner.status(1)
    assert capfd.readouterr().out == ""
    assert _count(loaded, Score) == 40
