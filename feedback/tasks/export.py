"""Task exports: CSV, XLSX, JSON, and a CSV that Jira / PingCode / Worktile import, formula-safe."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from feedback import sheets
from feedback.sheets import csv_bytes, neutralise
from feedback.tasks.config import COMPONENT_LABELS
from feedback.tasks.lifecycle import STATUSES

FORMATS = ("csv", "xlsx", "json", "jira")
COLUMNS = ("rank", "id", "title", "score", "status", "owner", "due_date", "category", "service_name", "dept_name",
           "region_code", "anchor", "signals", "first_seen", "last_seen", "keywords", "components", "evidence",
           "task_key")
HEADERS = {"rank": "排名", "id": "任务ID", "title": "标题", "score": "优先级", "status": "状态", "owner": "负责人",
           "due_date": "截止日期", "category": "问题类别", "service_name": "事项", "dept_name": "部门",
           "region_code": "区划", "anchor": "地点/对象", "signals": "投诉数", "first_seen": "首次出现",
           "last_seen": "最近出现", "keywords": "关键词", "components": "得分构成", "evidence": "代表性意见",
           "task_key": "任务键"}


def _flat(task: dict, column: str):
    v = task.get(column)
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


def write_csv(tasks: list[dict], out: Path, info: str | None = None) -> None:
    out.write_bytes(csv_bytes([HEADERS[c] for c in COLUMNS], rows(tasks), info=info))


def write_xlsx(tasks: list[dict], out: Path, info: str | None = None) -> None:
    sheets.write_xlsx(out, "优化任务", [HEADERS[c] for c in COLUMNS], rows(tasks), info=info)


def write_json(tasks: list[dict], out: Path) -> None:
    out.write_text(json.dumps(tasks, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _priority(rank: int | None, score: float) -> str:
    """Jira-style priority names from the rank."""
    if rank is not None and rank <= 5:
        return "Highest"
    if rank is not None and rank <= 20:
        return "High"
    return "Medium" if score >= 30 else "Low"


def tracker_row(t: dict, formula: str | None = None) -> list[str]:
    """Summary, Description (with the evidence), Priority, Labels — the columns Jira, PingCode and Worktile map."""
    ev = "\n".join(f"- [{e.get('rated_at', '')}] {e.get('text', '')}" for e in (t.get("evidence") or []))
    comp = "；".join(f"{COMPONENT_LABELS.get(k, k)} {v:.2f}" for k, v in (t.get("components") or {}).items()
                     if v is not None)
    desc = (f"优先级得分 {t.get('score', 0):.1f}（排名 {t.get('rank') or '-'}）\n得分构成：{comp}\n"
            f"关键词：{'、'.join(t.get('keywords') or [])}\n投诉数：{t.get('signals')}，"
            f"{t.get('first_seen') or ''} 至 {t.get('last_seen') or ''}\n代表性意见：\n{ev}\n"
            f"Haocha 任务键：{t.get('task_key')}")
    if formula:
        desc += f"\n\n{formula}"
    labels = ["haocha", t.get("kind") or "", t.get("category") or "", t.get("source") or ""]
    return [t.get("title", ""), desc, _priority(t.get("rank"), float(t.get("score") or 0)),
            " ".join(x for x in labels if x)]


def write_tracker(tasks: list[dict], out: Path) -> None:
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Summary", "Description", "Priority", "Labels"])
        for t in tasks:
            w.writerow([neutralise(v) for v in tracker_row(t)])


def export_tasks(tasks: list[dict], fmt: str, out: str | Path, info: str | None = None) -> Path:
    """Write ``tasks`` (as returned by queries.list_tasks) in one of FORMATS. ``info`` (the filters followed,
    "当前筛选：…") is the first line of CSV and XLSX; JSON and the tracker CSV, read by programs, leave it out."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json, "jira": write_tracker}.get(fmt)
    if writer is None:
        raise ValueError(f"unknown export format '{fmt}' (use {', '.join(FORMATS)})")
    if fmt in ("csv", "xlsx"):
        writer(tasks, out, info)
    else:
        writer(tasks, out)
    return out
