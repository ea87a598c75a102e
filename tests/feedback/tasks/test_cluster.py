"""Task rebuilds on Dask (`haocha tasks rebuild --scheduler`): a LocalCluster of 2 worker processes groups the
topic units of a two-city demo and gives exactly the tasks and members of the single-process rebuild."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from etl.demo.generate import write_demo
from etl.pipeline import ingest_file
from feedback import cluster as shared_cluster
from feedback.cli import main
from feedback.cluster import ClusterError
from feedback.models import Record
from feedback.models.tasks import Task, TaskBuild, TaskRecord
from feedback.scoring.score import score_store
from feedback.tasks import units as task_units
from feedback.tasks.config import TaskSettings
from feedback.tasks.rebuild import rebuild_tasks

DEMO_ROWS = 2_500  # ratings (plus about 300 12345 messages)
OTHER_CITY = "4401"  # a second 地市 for half of the messages and one county's ratings


@pytest.fixture(scope="module")
def two_city_demo(tmp_path_factory):
    """The demo city, with half of its 12345 messages (区划 column) and the 临江市 county's ratings moved to a
    second 地市: the message pool splits into two units by city, the ratings' text pool too when it has both."""
    ratings, messages = write_demo(tmp_path_factory.mktemp("demo"), rows=DEMO_ROWS, seed=11)
    r = pd.read_csv(ratings, dtype=str, keep_default_na=False)
    r["areaCode"] = r["areaCode"].str.replace(r"^439981", OTHER_CITY + "81", regex=True)
    r.to_csv(ratings, index=False, encoding="utf-8")
    m = pd.read_csv(messages, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    m["区划"] = np.where(np.arange(len(m)) % 2 == 0, "439902", OTHER_CITY + "03")
    m.to_csv(messages, index=False, encoding="utf-8-sig")
    return [ratings, messages]


def _snapshot(engine) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every column of the tasks (but the surrogate ids and the wall-clock times), their members by task key,
    and what each build recorded of its settings."""
    with engine.connect() as conn:
        tasks = pd.read_sql(select(Task), conn)
        members = pd.read_sql(select(Task.task_key, TaskRecord.record_id, TaskRecord.weight)
                              .join(TaskRecord, TaskRecord.task_id == Task.id), conn)
        builds = pd.read_sql(select(TaskBuild.settings_hash, TaskBuild.settings, TaskBuild.signals,
                                    TaskBuild.tasks, TaskBuild.as_of, TaskBuild.model_version), conn)
    tasks = tasks.drop(columns=["id", "build_id", "created_at", "updated_at"])
    return (tasks.sort_values("task_key").reset_index(drop=True),
            members.sort_values(["task_key", "record_id"]).reset_index(drop=True), builds)


def _forget_tasks(engine) -> None:
    with engine.begin() as conn:
        for table in (TaskRecord, Task, TaskBuild):
            conn.execute(delete(table))


def _grouped(client) -> int:
    return sum(r["units"] for r in client.run(task_units.units_grouped).values())


def test_cluster_rebuild_equals_the_single_process_rebuild(engine, settings, two_city_demo, dask_cluster,
                                                           monkeypatch):
    address, client = dask_cluster
    formed: list[int] = []

    def counted(*args, **kwargs):
        units = task_units.topic_units(*args, **kwargs)
        formed.append(len(units))
        return units

    monkeypatch.setattr("feedback.tasks.build.topic_units", counted)
    for path in two_city_demo:
        result = ingest_file(engine, settings, path, profile="zhejiang" if "zhejiang" in path.name else "auto")
        assert result.loaded == result.read
    with engine.connect() as conn:
        cities = conn.execute(select(func.substr(Record.region_code, 1, 4)).where(Record.kind == "message")
                              .distinct()).scalars().all()
    assert sorted(cities) == ["4399", OTHER_CITY]
    score_store(engine, settings)

    alone = rebuild_tasks(engine, settings)
    tasks, members, builds = _snapshot(engine)
    assert alone.tasks == len(tasks) > 50 and tasks["kind"].eq("topic").sum() > 20
    assert len(members) == alone.signals

    _forget_tasks(engine)
    before = _grouped(client)
    on_cluster = rebuild_tasks(engine, settings, scheduler=address)
    ran = _grouped(client) - before
    assert (on_cluster.tasks, on_cluster.signals, on_cluster.new_tasks) == (alone.tasks, alone.signals, alone.tasks)
    got_tasks, got_members, got_builds = _snapshot(engine)
    pd.testing.assert_frame_equal(got_tasks, tasks, check_exact=True)
    pd.testing.assert_frame_equal(got_members, members, check_exact=True)
    pd.testing.assert_frame_equal(got_builds, builds, check_exact=True)  # where it ran is not a setting of it
    # the workers grouped every unit (the messages of each city, and the ratings' text pool when a rated
    # complaint falls outside every category): not this process
    assert formed[-1] >= 2 and ran == formed[-1]


def test_a_pool_splits_by_city_only_when_it_names_two():
    sig = pd.DataFrame({"rated_at": pd.date_range("2026-01-01", periods=6, freq="D"),
                        "region_code": ["439902", "439903", None, "440103", "", "439902000000"]})
    title = pd.Series(["a"] * 6)
    text = pd.Series(["b"] * 6)
    one_city = pd.Series([True, True, True, False, True, True])
    units = task_units.topic_units(sig, title, text, [("message", one_city)])
    assert [(u.pool, u.city, u.positions.tolist()) for u in units] == [("message", None, [0, 1, 2, 4, 5])]
    both = pd.Series([True] * 6)
    rated = pd.Series([False, True, False, False, False, False])
    units = task_units.topic_units(sig, title, text, [("message", both), ("rating", rated)])
    assert [(u.pool, u.city, u.positions.tolist()) for u in units] == [
        ("message", "", [2, 4]), ("message", "4399", [0, 1, 5]), ("message", "4401", [3]),
        ("rating", None, [1])]


def test_the_scheduler_is_not_part_of_the_settings_digest():
    assert TaskSettings(scheduler="tcp://10.0.0.5:8786").digest() == TaskSettings().digest()
    assert "scheduler" not in TaskSettings().recorded()
    assert TaskSettings(topic_max_docs=10).digest() != TaskSettings().digest()


def test_a_bad_scheduler_fails_before_anything_is_written(engine, settings, monkeypatch):
    from tests.feedback.tasks.test_rebuild import _seed

    monkeypatch.setattr(shared_cluster, "CONNECT_TIMEOUT_S", 1)
    _seed(engine)
    configured = dataclasses.replace(settings, tasks=dataclasses.replace(settings.tasks, scheduler="bogus:address"))
    with pytest.raises(ClusterError, match="bogus:address"):
        rebuild_tasks(engine, configured)  # [tasks] scheduler applies without the argument (the pipeline's stage)
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        rebuild_tasks(engine, settings, scheduler="tcp://127.0.0.1:9")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(TaskBuild)).scalar() == 0
    assert rebuild_tasks(engine, settings).tasks > 0  # "" (the default): in this process


def test_tasks_rebuild_command_takes_a_scheduler(engine, runner):
    """`--scheduler local:1` starts one worker process for the run; a bad address is one clear line."""
    from tests.feedback.tasks.test_rebuild import _seed

    _seed(engine)
    bad = runner.invoke(main, ["tasks", "rebuild", "--scheduler", "bogus:address"])
    assert bad.exit_code == 2 and "bogus:address" in bad.output
    if engine.dialect.name != "sqlite":
        pytest.skip("the local cluster's start is what follows; the PostgreSQL tasks are checked above")
    result = runner.invoke(main, ["tasks", "rebuild", "--scheduler", "local:1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    on_cluster = _snapshot(engine)
    _forget_tasks(engine)
    assert runner.invoke(main, ["tasks", "rebuild"]).exit_code == 0
    here = _snapshot(engine)
    assert summary["tasks"] == len(here[0]) > 0
    pd.testing.assert_frame_equal(on_cluster[0], here[0], check_exact=True)
    pd.testing.assert_frame_equal(on_cluster[1], here[1], check_exact=True)
