"""Exports: CSV, XLSX, JSON and the tracker CSV, with formula injection neutralised."""

import csv
import json

from openpyxl import load_workbook

from feedback.tasks.export import export_tasks, tracker_row

TASKS = [
    {"rank": 1, "id": 7, "task_key": "abc123", "title": "=HYPERLINK(\"http://x\",\"点我\")", "score": 71.5,
     "status": "new", "owner": "+张三", "due_date": None, "category": "online_platform", "service_name": "社保卡申领",
     "dept_name": "@人社局", "region_code": None, "anchor": None, "signals": 12, "first_seen": "2026-05-01 10:00:00",
     "last_seen": "2026-06-01 10:00:00", "keywords": ["上传", "失败"], "kind": "service", "source": "rating",
     "components": {"volume": 0.8, "rate": 0.5, "support": None},
     "evidence": [{"rated_at": "2026-05-02 09:00", "text": "-1 上传一直失败"}]},
    {"rank": 2, "id": 8, "task_key": "def456", "title": "\t翠湖湾小区 — 办证难", "score": 40.0, "status": "accepted",
     "owner": None, "due_date": "2026-07-01", "category": None, "service_name": None, "dept_name": None,
     "region_code": None, "anchor": "翠湖湾小区", "signals": 3, "first_seen": None, "last_seen": None,
     "keywords": [], "kind": "topic", "source": "message", "components": {}, "evidence": []},
]


def test_csv_and_tracker_csv(tmp_path):
    export_tasks(TASKS, "csv", tmp_path / "t.csv")
    rows = list(csv.reader((tmp_path / "t.csv").open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["排名", "任务ID", "标题"]
    cells = [c for r in rows[1:] for c in r]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert rows[1][2].startswith("'=HYPERLINK")
    export_tasks(TASKS, "jira", tmp_path / "j.csv")
    jira = list(csv.reader((tmp_path / "j.csv").open(encoding="utf-8-sig")))
    assert jira[0] == ["Summary", "Description", "Priority", "Labels", "Assignee", "Due Date"]
    assert jira[1][0].startswith("'=") and "上传一直失败" in jira[1][1] and jira[1][2] == "Highest"
    assert "haocha" in jira[1][3].split() and "online_platform" in jira[1][3]
    assert "翠湖湾" in tracker_row(TASKS[1])[0]


def test_xlsx_has_no_formulas(tmp_path):
    export_tasks(TASKS, "xlsx", tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").active
    values = [c.value for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert all(not v.startswith(("=", "+", "-", "@", "\t")) for v in values)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_json_round_trip(tmp_path):
    export_tasks(TASKS, "json", tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))[0]["title"] == TASKS[0]["title"]
