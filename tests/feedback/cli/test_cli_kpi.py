"""`haocha kpi` and `haocha ledger` from the command line: JSON contract, human output, exit codes."""

from __future__ import annotations

import json

import pytest

from feedback.cli import main
from feedback.db import make_engine
from tests.feedback.stats.test_kpi import load_fixture

CONTRACT = ("month", "total", "active_total", "good_rate", "bad", "bad_rate", "avg_score_10", "hidden_complaints")


@pytest.fixture
def loaded(runner, db_url):
    assert runner.invoke(main, ["init"]).exit_code == 0
    engine = make_engine(db_url)
    ids = load_fixture(engine)
    engine.dispose()
    return ids


def last_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_kpi_json_defaults_to_the_latest_month(runner, loaded):
    obj = last_json(runner.invoke(main, ["kpi", "--json"]))
    assert all(k in obj for k in CONTRACT)
    assert obj["month"] == "2026-03"
    assert (obj["total"], obj["active_total"], obj["bad"], obj["hidden_complaints"]) == (10, 8, 3, 1)
    assert all(type(obj[k]) is int for k in ("total", "active_total", "bad", "hidden_complaints", "cases"))
    assert (obj["good_rate"], obj["bad_rate"], obj["avg_score_10"]) == (70.0, 30.0, 6.3)
    for side in ("mom", "yoy"):
        assert all(k in obj[side] for k in CONTRACT if k != "month")
    assert obj["mom"]["total"] == 150.0 and obj["mom"]["good_rate"] == -5.0 and obj["mom"]["avg_score_10"] == -1.45
    assert obj["yoy"]["bad_rate"] == 10.0 and obj["yoy_month"] == "2025-03"


def test_kpi_month_scope_and_setting(runner, loaded, config_file):
    feb = last_json(runner.invoke(main, ["kpi", "--month", "2026-02", "--json"]))
    assert (feb["month"], feb["total"], feb["bad"], feb["avg_score_10"]) == ("2026-02", 4, 1, 7.75)
    dept = last_json(runner.invoke(main, ["kpi", "--month", "2026-03", "--dept", "DA", "--json"]))
    assert (dept["total"], dept["bad"]) == (5, 1)
    config_file.write_text(config_file.read_text() + "[kpi]\ngood_includes_basic = false\n")
    strict = last_json(runner.invoke(main, ["kpi", "--json"]))
    assert strict["good_rate"] == 50.0 and strict["good_includes_basic"] is False


def test_kpi_human_table(runner, loaded):
    res = runner.invoke(main, ["kpi", "--month", "2026-03"])
    assert res.exit_code == 0, res.output
    for word in ("好评率", "差评率", "整体平均分", "环比", "同比", "70.00%", "-5.00个百分点", "+150.0%"):
        assert word in res.output


def test_kpi_errors_exit_2(runner):
    assert runner.invoke(main, ["kpi", "--month", "2026-13"]).exit_code == 2
    res = runner.invoke(main, ["kpi", "--json"])  # database never initialised
    assert res.exit_code == 2 and "haocha init" in res.output
    runner.invoke(main, ["init"])
    res = runner.invoke(main, ["kpi", "--json"])
    assert res.exit_code == 2 and "no ratings" in res.output


def test_ledger_commands_end_to_end(runner, loaded):
    assert last_json(runner.invoke(main, ["ledger", "sync", "--json"])) == {"opened": 5}
    assert last_json(runner.invoke(main, ["ledger", "sync", "--json"])) == {"opened": 0}
    cases = last_json(runner.invoke(main, ["ledger", "list", "--json"]))
    assert len(cases) == 5 and {c["status_name"] for c in cases} == {"待核实"}
    first = min(c["case_id"] for c in cases)
    res = runner.invoke(main, ["ledger", "set", str(first), "--status", "已反馈"])
    assert res.exit_code == 2 and "cannot go from 待核实 to 已反馈" in res.output
    for status in ("整改中", "已整改", "已反馈"):
        assert runner.invoke(main, ["ledger", "set", str(first), "--status", status, "--by", "张三"]).exit_code == 0
    res = runner.invoke(main, ["ledger", "set", str(first), "--status", "已回访", "--satisfaction", "4",
                               "--note", "电话回访"])
    assert res.exit_code == 0, res.output
    out = runner.invoke(main, ["ledger", "request", str(first + 1), "--type", "void", "--reason", "误评"]).output
    req = int(out.split()[1].rstrip(":"))
    assert runner.invoke(main, ["ledger", "decide", str(req), "--approve", "--by", "复核组"]).exit_code == 0
    res = runner.invoke(main, ["ledger", "decide", str(req), "--reject"])
    assert res.exit_code == 2 and "already decided" in res.output
    cases = {c["case_id"]: c for c in last_json(runner.invoke(main, ["ledger", "list", "--json"]))}
    assert cases[first]["status"] == "revisited" and cases[first]["satisfaction"] == 4
    assert cases[first + 1]["status_name"] == "差评无效" and "误评" in cases[first + 1]["ruling"]
    history = last_json(runner.invoke(main, ["ledger", "show", str(first), "--json"]))
    assert [e["actor"] for e in history][:2] == ["system", "张三"] and history[-1]["note"] == "电话回访"
    table = runner.invoke(main, ["ledger", "list"])
    assert table.exit_code == 0 and "差评无效" in table.output
    assert runner.invoke(main, ["ledger", "list", "--overdue", "--json"]).exit_code == 0
