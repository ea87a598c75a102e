"""The ``haocha tasks`` commands and the JSON contract of ``tasks list --json``."""

import json
from datetime import date, timedelta

from feedback.cli import main
from feedback.db import make_engine, upgrade
from tests import factory as f


def _seed(settings):
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with engine.begin() as conn:
        b = f.batch(conn)
        f.model(conn)
        f.good_ratings(conn, b, "社会保障卡申领", 200)
        for i in range(5):
            f.rating(conn, b, service="社会保障卡申领", level=1, at=f.T0 + timedelta(days=20 + i),
                     text=f"=上传材料失败{i}", category="online_platform")
        f.message(conn, b, title="翠湖湾小区不动产权证办不下来", text="翠湖湾小区交房两年多还没有产权证。",
                  at=f.T0 + timedelta(days=30), votes=40)
    engine.dispose()


def test_rebuild_list_set_show_export(runner, settings, tmp_path):
    _seed(settings)
    r = runner.invoke(main, ["tasks", "rebuild", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["tasks"] >= 2
    r = runner.invoke(main, ["tasks", "list", "--top", "5", "--json"])
    assert r.exit_code == 0, r.output
    tasks = json.loads(r.output)
    assert isinstance(tasks, list) and [t["rank"] for t in tasks] == sorted(t["rank"] for t in tasks)
    for t in tasks:
        for key in ("rank", "id", "title", "score", "components", "keywords", "evidence", "status"):
            assert key in t
        assert isinstance(t["components"], dict) and "rate" in t["components"]
        assert all(isinstance(e, str) for e in t["evidence"]) and t["status"] == "new"
    assert tasks[0]["score"] >= tasks[-1]["score"]
    top = tasks[0]["id"]
    r = runner.invoke(main, ["tasks", "set", str(top), "--status", "accepted", "--owner", "张三", "--note", "开始排查",
                             "--due", (date.today() + timedelta(days=30)).isoformat(), "--by", "王经理", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["status"] == "accepted"
    r = runner.invoke(main, ["tasks", "set", str(top), "--status", "verified"])
    assert r.exit_code == 2 and "cannot go from accepted to verified" in r.output
    r = runner.invoke(main, ["tasks", "show", str(top), "--json"])
    shown = json.loads(r.output)
    assert shown["owner"] == "张三" and [h["action"] for h in shown["history"]][:1] == ["created"]
    assert any(h["actor"] == "王经理" for h in shown["history"])
    r = runner.invoke(main, ["tasks", "show", str(top)])
    assert "优先级 = 100" in r.output
    for fmt in ("csv", "xlsx", "json", "jira"):
        out = tmp_path / f"tasks.{fmt}"
        r = runner.invoke(main, ["tasks", "export", "--format", fmt, "--out", str(out)])
        assert r.exit_code == 0, r.output and out.exists()
    out = tmp_path / "accepted.json"  # the page's filters, through the same query
    r = runner.invoke(main, ["tasks", "export", "--format", "json", "--out", str(out), "--type", "all",
                             "--status", "accepted"])
    assert r.exit_code == 0, r.output
    assert [(t["id"], t["position"], t["owner"]) for t in json.loads(out.read_text(encoding="utf-8"))] == [
        (top, 1, "张三")]
    assert runner.invoke(main, ["tasks", "export", "--format", "csv", "--out", str(out), "--type", "city"]).exit_code == 2
    import csv

    for name in ("tasks.csv", "tasks.jira"):
        cells = [c for row in csv.reader((tmp_path / name).open(encoding="utf-8-sig")) for c in row]
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def test_stage_prints_top_ten(runner, settings):
    from feedback.cli.context import AppContext
    from feedback.cli.tasks import print_tasks_stage
    from feedback.pipeline import rebuild_task_list

    _seed(settings)
    app = AppContext()
    app._settings = settings
    print_tasks_stage(rebuild_task_list(app.engine(), settings), False)
    print_tasks_stage(rebuild_task_list(app.engine(), settings), True)
