"""Task exports: CSV, XLSX, JSON, and a CSV that Jira / PingCode / Worktile import, formula-safe."""

from __future__ import annotations

import io
import json
from pathlib import Path

from feedback import sheets
from feedback.sheets import csv_bytes, neutralise
from feedback.tasks.config import COMPONENT_LABELS
from feedback.tasks.lifecycle import STATUSES

FORMATS = ("csv", "xlsx", "json", "jira")
SUFFIXES = {"csv": "csv", "xlsx": "xlsx", "json": "json", "jira": "csv"}
COLUMNS = ("rank", "id", "title", "score", "kind", "status", "owner", "due_date", "overdue_days", "category",
           "service_name", "dept_name", "region_code", "anchor", "signals", "first_seen", "last_seen", "keywords",
           "components", "evidence", "task_key")
HEADERS = {"rank": "排名", "id": "任务ID", "title": "标题", "score": "优先级", "kind": "类型", "status": "状态",
           "owner": "负责人", "due_date": "截止日期", "overdue_days": "逾期天数", "category": "问题类别",
           "service_name": "事项", "dept_name": "部门", "region_code": "区划", "anchor": "地点/对象", "signals": "投诉数",
           "first_seen": "首次出现", "last_seen": "最近出现", "keywords": "关键词", "components": "得分构成",
           "evidence": "代表性意见", "task_key": "任务键"}
WIDTHS = {"rank": 6, "id": 8, "title": 44, "score": 8, "kind": 6, "status": 8, "owner": 10, "due_date": 11,
          "overdue_days": 8, "category": 14, "service_name": 24, "dept_name": 22, "region_code": 14, "anchor": 16,
          "signals": 8, "first_seen": 19, "last_seen": 19, "keywords": 30, "components": 40, "evidence": 60, "task_key": 16}
KIND_NAMES = {"service": "事项", "hall": "窗口", "topic": "话题"}
TRACKER_COLUMNS = ("Summary", "Description", "Priority", "Labels", "Assignee", "Due Date")


def place(task: dict) -> int | None:
    """The task's place in the exported list (``position``, from the filtered query), else its stored rank."""
    return task.get("position") or task.get("rank")


def _flat(task: dict, column: str):
    v = task.get(column)
    if column == "rank":
        return place(task)
    if column == "score":
        return None if v is None else round(float(v), 1)
    if column == "kind":
        return KIND_NAMES.get(v, v)
    if column == "keywords":
        return "、".join(v or [])
    if column == "components":
        return "；".join(f"{COMPONENT_LABELS.get(k, k)} {x:.2f}" for k, x in (v or {}).items() if x is not None)
    if column == "evidence":
        return "\n".join(f"[{e.get('rated_at', '')}] {e.get('text', '')}" for e in (v or []))
    if column == "status":
        return STATUSES.get(v, v)
    return v


def rows(tasks: list[dict]) -> list[list]:
    return [[neutralise(_flat(t, c)) for c in COLUMNS] for t in tasks]


def csv_export(tasks: list[dict], info: str | None = None) -> bytes:
    return csv_bytes([HEADERS[c] for c in COLUMNS], rows(tasks), info=info)


def xlsx_export(tasks: list[dict], info: str | None = None) -> bytes:
    """One sheet laid out to work in: widths, autofilter, frozen header, priorities as numbers shown 0.0."""
    buf = io.BytesIO()
    sheets.write_table_xlsx(buf, "优化任务", [HEADERS[c] for c in COLUMNS], rows(tasks),
                            widths=[WIDTHS[c] for c in COLUMNS], formats={COLUMNS.index("score"): "0.0"}, info=info)
    return buf.getvalue()


def json_export(tasks: list[dict]) -> bytes:
    return json.dumps(tasks, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def _priority(rank: int | None, score: float) -> str:
    """Jira-style priority names from the place in the list."""
    if rank is not None and rank <= 5:
        return "Highest"
    if rank is not None and rank <= 20:
        return "High"
    return "Medium" if score >= 30 else "Low"


def tracker_row(t: dict, formula: str | None = None) -> list[str]:
    """Summary, Description (with the evidence), Priority, Labels, Assignee (the owner), Due Date (YYYY-MM-DD) —
    the columns Jira, PingCode and Worktile map."""
    ev = "\n".join(f"- [{e.get('rated_at', '')}] {e.get('text', '')}" for e in (t.get("evidence") or []))
    comp = "；".join(f"{COMPONENT_LABELS.get(k, k)} {v:.2f}" for k, v in (t.get("components") or {}).items()
                     if v is not None)
    desc = (f"优先级得分 {t.get('score', 0):.1f}（排名 {place(t) or '-'}）\n得分构成：{comp}\n"
            f"关键词：{'、'.join(t.get('keywords') or [])}\n投诉数：{t.get('signals')}，"
            f"{t.get('first_seen') or ''} 至 {t.get('last_seen') or ''}\n代表性意见：\n{ev}\n"
            f"Haocha 任务键：{t.get('task_key')}")
    if formula:
        desc += f"\n\n{formula}"
    labels = ["haocha", t.get("kind") or "", t.get("category") or "", t.get("source") or ""]
    return [t.get("title", ""), desc, _priority(place(t), float(t.get("score") or 0)),
            " ".join(x for x in labels if x), t.get("owner") or "", (t.get("due_date") or "")[:10]]


def tracker_export(tasks: list[dict]) -> bytes:
    return csv_bytes(TRACKER_COLUMNS, (tracker_row(t) for t in tasks))


def export_bytes(tasks: list[dict], fmt: str, info: str | None = None) -> bytes:
    """``tasks`` (rows of ``queries.select_tasks``, best first, with their ``position``) in one of FORMATS: the
    one exporter of the dashboard's downloads and ``haocha tasks export``. ``info`` (the filters followed,
    "当前筛选：…") is the first line of CSV and XLSX; JSON and the tracker CSV, read by programs, leave it out."""
    writer = {"csv": csv_export, "xlsx": xlsx_export, "json": json_export, "jira": tracker_export}.get(fmt)
    if writer is None:
        raise ValueError(f"unknown export format '{fmt}' (use {', '.join(FORMATS)})")
    return writer(tasks, info) if fmt in ("csv", "xlsx") else writer(tasks)


def export_tasks(tasks: list[dict], fmt: str, out: str | Path, info: str | None = None) -> Path:
    """Write :func:`export_bytes` to the file ``out``."""
    body = export_bytes(tasks, fmt, info)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    return out
