"""`haocha label undo RECORD_ID`: the record's latest gold label taken back from the command line, as 撤销 on the
待确认 page does it (score restored, label gone, rollups as a rebuild leaves them); refusals exit 2 and change
nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from feedback.cli import main
from feedback.models import Score
from tests.feedback.stats.test_correction_rollups import RECORDS, as_rebuilt, load
from tests.feedback.stats.test_rollups import snapshot
from tests.feedback.stats.test_undo_correction import correct, labels, score


def test_label_undo_takes_back_the_latest_label(runner, engine):
    ids = load(engine, RECORDS)
    before, rollups = score(engine, ids["plain"]), snapshot(engine)
    first = correct(engine, ids["plain"], "materials")
    second = correct(engine, ids["plain"], "staff_attitude", "cold_rude")
    assert labels(engine, ids["plain"]) == [first, second]

    out = runner.invoke(main, ["label", "undo", str(ids["plain"])])
    assert out.exit_code == 0, out.output
    assert f"gold label {second} (staff_attitude, 服务态度" in out.output and "undone" in out.output
    assert labels(engine, ids["plain"]) == [first]  # the latest went; the one before wins again
    assert score(engine, ids["plain"])["category"] == "materials"
    assert runner.invoke(main, ["label", "undo", str(ids["plain"])]).exit_code == 0
    assert labels(engine, ids["plain"]) == [] and score(engine, ids["plain"]) == before
    assert snapshot(engine) == rollups == as_rebuilt(engine)

    none = runner.invoke(main, ["label", "undo", str(ids["plain"])])
    assert none.exit_code == 2 and f"record {ids['plain']} has no gold label" in none.output


def test_label_undo_refuses_a_rescored_record_and_changes_nothing(runner, engine):
    ids = load(engine, RECORDS)
    label_id = correct(engine, ids["plain"], "materials")
    with engine.begin() as conn:  # a rescoring since the label: its scored_at is no longer the one it replaced
        conn.execute(update(Score).where(Score.record_id == ids["plain"], Score.model_version == "v1")
                     .values(scored_at=datetime(2026, 5, 1)))
    kept, rollups = score(engine, ids["plain"]), snapshot(engine)
    out = runner.invoke(main, ["label", "undo", str(ids["plain"])])
    assert out.exit_code == 2 and "rescored since" in out.output and str(label_id) in out.output
    assert labels(engine, ids["plain"]) == [label_id] and score(engine, ids["plain"]) == kept
    assert snapshot(engine) == rollups
