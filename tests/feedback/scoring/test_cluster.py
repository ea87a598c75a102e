"""Scoring on Dask (`haocha score --scheduler`): a LocalCluster of 2 worker processes gives exactly the score rows
of the single-process run, on a small demo city, loading the models once per worker."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from sqlalchemy import delete, select

from etl.demo.generate import write_demo
from etl.pipeline import ingest_file
from feedback import cluster as shared_cluster
from feedback.cli import main
from feedback.models import ModelVersion, Record, Score
from feedback.scoring import cluster as scoring_cluster
from feedback.scoring import repository as store
from feedback.scoring.score import ScoringError, score_store

DEMO_ROWS = 2_500  # ratings (plus 300 12345 messages): about 3,000 records
BATCH = 400  # records per range: several ranges per worker


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"), rows=DEMO_ROWS, seed=11)


def _ingest(engine, settings, files) -> None:
    for path in files:
        result = ingest_file(engine, settings, path, profile="zhejiang" if "zhejiang" in path.name else "auto")
        assert result.loaded == result.read


def _score_rows(engine) -> pd.DataFrame:
    """Every score row, every column but the surrogate id and the time of scoring, by record."""
    with engine.connect() as conn:
        rows = pd.read_sql(select(Score), conn)
    return rows.drop(columns=["scored_at"]).sort_values("record_id").reset_index(drop=True)


def _loads(client) -> int:
    return sum(r["loads"] for r in client.run(scoring_cluster.model_loads).values())


def test_cluster_scores_equal_the_single_process_run(engine, settings, demo_files, dask_cluster):
    address, client = dask_cluster
    small = dataclasses.replace(settings, scoring=dataclasses.replace(settings.scoring, batch_size=BATCH))
    _ingest(engine, small, demo_files)
    with engine.begin() as conn:  # a person's correction: gold wins in both runs
        first = conn.execute(select(Record.id).order_by(Record.id)).scalar()
        store.add_gold_label(conn, first, "staff_attitude", by="t", note=None, version=None,
                             subcategory=None)

    alone = score_store(engine, small)
    expected = _score_rows(engine)
    assert alone.scored == len(expected) > 5 * BATCH
    assert expected["category"].notna().sum() > 50 and expected["subcategory"].notna().any()
    assert expected["hidden_complaint"].any()

    # forget the version (its model files stay on the shared instance folder) and build it again on the cluster
    with engine.begin() as conn:
        conn.execute(delete(Score))
        conn.execute(delete(ModelVersion))
    loads_before = _loads(client)
    ranges = -(-alone.scored // BATCH)
    run = score_store(engine, small, scheduler=address)
    assert run.new_version and run.version == alone.version and run.scored == alone.scored
    pd.testing.assert_frame_equal(_score_rows(engine), expected, check_exact=True)
    loaded = _loads(client) - loads_before
    assert 1 <= loaded <= 2 < ranges  # once per worker, not once per range

    # resume under the active version: only the missing rows are scored, by the workers' cached models
    with engine.begin() as conn:
        gone = conn.execute(delete(Score).where(Score.record_id % 3 == 0)).rowcount
    again = score_store(engine, small, scheduler=address)
    assert not again.new_version and again.scored == gone > 0
    pd.testing.assert_frame_equal(_score_rows(engine), expected, check_exact=True)
    assert _loads(client) - loads_before == loaded


def test_unreachable_scheduler_is_a_scoring_error(engine, settings, monkeypatch):
    from tests.feedback.scoring.test_scoring import _insert

    monkeypatch.setattr(shared_cluster, "CONNECT_TIMEOUT_S", 1)
    _insert(engine)
    import feedback.scoring.score as score_module

    trained = []  # told before the scorer is trained (a minute of fitting), not after
    monkeypatch.setattr(score_module, "train_scorer", lambda *a, **k: trained.append(1) or pytest.fail("trained"))
    with pytest.raises(ScoringError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        score_store(engine, settings, scheduler="tcp://127.0.0.1:9")
    assert not trained
    with engine.connect() as conn:
        assert conn.execute(select(Score.record_id)).first() is None  # nothing half-written


def test_score_command_takes_a_scheduler(engine, runner, monkeypatch):
    from tests.feedback.scoring.test_scoring import _insert

    monkeypatch.setattr(shared_cluster, "CONNECT_TIMEOUT_S", 1)
    _insert(engine)
    result = runner.invoke(main, ["score", "--scheduler", "bogus:address"])
    assert result.exit_code != 0
    assert "bogus:address" in result.output


def test_score_command_on_a_local_cluster(engine, runner):
    """`--scheduler local:1` starts one worker process for the run; the rows equal a run in one process."""
    from tests.feedback.scoring.test_scoring import _insert

    if engine.dialect.name != "sqlite":
        pytest.skip("the local cluster's start is what this tests; the PostgreSQL rows are checked above")
    _insert(engine)
    result = runner.invoke(main, ["score", "--scheduler", "local:1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    on_cluster = _score_rows(engine)
    assert summary["scored"] == len(on_cluster) > 0
    with engine.begin() as conn:
        conn.execute(delete(Score))
    assert runner.invoke(main, ["score"]).exit_code == 0
    pd.testing.assert_frame_equal(_score_rows(engine), on_cluster, check_exact=True)


def test_a_range_is_cut_into_one_piece_per_worker_in_order():
    frame = pd.DataFrame({"record_id": range(1, 1001)})
    pieces = scoring_cluster.split_range(frame, 3)
    assert [len(p) for p in pieces] == [333, 334, 333]
    pd.testing.assert_frame_equal(pd.concat(pieces), frame)
    assert len(scoring_cluster.split_range(frame.head(70), 4)) == 1  # never below MIN_PART records a piece
    assert len(scoring_cluster.split_range(frame.head(3), 2)) == 1


def test_the_config_key_sends_every_scoring_run_to_the_scheduler(engine, settings):
    """[scoring] scheduler applies without --scheduler (the score stage of ingest, demo and the dashboard's jobs
    calls score_store with the settings alone)."""
    from tests.feedback.scoring.test_scoring import _insert

    configured = dataclasses.replace(settings, scoring=dataclasses.replace(settings.scoring,
                                                                           scheduler="bogus:address"))
    _insert(engine)
    with pytest.raises(ScoringError, match="bogus:address"):
        score_store(engine, configured)
    assert score_store(engine, settings).scored > 0  # "" (the default): in this process
