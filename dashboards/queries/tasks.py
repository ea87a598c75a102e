"""优化任务 for the page, the API and the exports: one filtered list, one detail, department scoping.

A task belongs to the department in its ``dept_code``: for a 窗口 (hall) task the hall's department, for a
service or topic task the department with most of its complaints (``feedback.tasks.build`` takes the mode).
A department-bound user sees and changes only the tasks of their department; tasks without a department (12345
topics) are city-wide and only unbound users see them. Inside one of their tasks, the representative comments
are limited to their department's records and the other departments of the breakdown are summed up as
其他部门, so no other department's text or name reaches them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, true

from dashboards import display
from dashboards.queries.paging import Page
from feedback.models import Record, Task, TaskBuild
from feedback.scoring.taxonomy import Taxonomy, load_taxonomy
from feedback.tasks.config import TaskSettings
from feedback.tasks.explain import contributions, explain
from feedback.tasks.heat import HEAT_LABELS
from feedback.tasks.impact import Impact, wilson
from feedback.tasks.lifecycle import STATUSES, TRANSITIONS, overdue_days
from feedback.tasks.priority import priority_formula
from feedback.tasks.queries import count_tasks, judged_on, select_tasks, task_history, type_position
from feedback.tasks.selection import NO_CATEGORY, TYPE_NAMES, TaskFilters, type_of

__all__ = ["NO_CATEGORY", "TaskFilters", "task_page", "task_rows", "task_detail", "task_choices"]

KIND_NAMES = {"service": "事项", "hall": "窗口", "topic": "话题"}
SOURCE_NAMES = {"rating": "评价", "message": "留言", "mixed": "评价与留言"}
ACTION_NAMES = {"created": "创建", "status": "状态变更", "owner": "负责人", "due": "截止日期", "note": "备注",
                "impact": "效果检查"}
VERDICTS = {"improved": "显著改善", "worse": "显著变差", "no_change": "无显著变化", "too_early": "观察期未满",
            "too_little_data": "数据不足"}


_JSON = ("components", "metrics", "keywords", "evidence", "breakdown", "series", "impact")


def _decode(r) -> dict[str, Any]:
    """A task row with its JSON columns decoded and its dates as ISO text (the shape of ``tasks list``)."""
    d = dict(r._mapping)
    for k in _JSON:
        d[k] = json.loads(d[k]) if d.get(k) else None
    for k in ("due_date", "shipped_at", "first_seen", "last_seen", "created_at", "updated_at"):
        v = d.get(k)
        if v is not None:
            d[k] = v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    return d


def summary(t: Mapping[str, Any], taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """One task as the list and the API show it (category names from ``taxonomy``, None: the packaged one)."""
    return {
        "rank": t["rank"], "position": t.get("position"), "id": t["id"], "key": t["task_key"], "title": t["title"],
        "score": round(float(t["score"] or 0), 2), "status": t["status"],
        "status_name": STATUSES.get(t["status"], t["status"]), "owner": t["owner"], "due_date": t["due_date"],
        "overdue_days": t.get("overdue_days"),
        "kind": t["kind"], "kind_name": KIND_NAMES.get(t["kind"], t["kind"]),
        "type": type_of(t["kind"]), "type_name": TYPE_NAMES[type_of(t["kind"])], "source": t["source"],
        "category": t["category"],
        "category_name": display.category_name(t["category"], taxonomy) if t["category"] else None,
        "service": t["service_name"], "dept_code": t["dept_code"], "department": t["dept_name"],
        "anchor": t["anchor"], "signals": int(t["signals"] or 0), "first_seen": t["first_seen"],
        "last_seen": t["last_seen"], "active": bool(t["active"]), "keywords": t["keywords"] or [],
        "components": t["components"] or {},
    }


TaskPage = Page


def task_page(conn: Connection, tf: TaskFilters, page: int, per_page: int,
              taxonomy: Taxonomy | None = None) -> TaskPage:
    """A page of the ranked list (best first, ``position`` = place in the filtered list); ``tf`` must already be
    scoped to the user's department."""
    page = max(1, page)
    rows = select_tasks(conn, tf, limit=per_page + 1, offset=(page - 1) * per_page)
    total = count_tasks(conn, tf)
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    items = [summary(r, taxonomy) for r in rows[:per_page]]
    return TaskPage(items, page, per_page, len(rows) > per_page, total)


def type_counts(conn: Connection, tf: TaskFilters) -> dict[str, int]:
    """How many tasks each type (gov, topic, all) has under the other filters: the numbers on the tabs."""
    return {t: count_tasks(conn, tf.with_type(t)) for t in TYPE_NAMES}


def task_rows(conn: Connection, tf: TaskFilters, dept: str | None) -> list[dict[str, Any]]:
    """Every task of the filters, full rows with their ``position`` (evidence scoped to ``dept``), for the
    exports."""
    rows = select_tasks(conn, tf)
    return [scope_task(conn, t, dept) for t in rows] if dept else rows


def scope_task(conn: Connection, t: dict[str, Any], dept: str | None) -> dict[str, Any]:
    """The task as a department-bound user may see it: only their department's comments and name."""
    if dept is None:
        return t
    evidence = t.get("evidence") or []
    ids = [e["record_id"] for e in evidence if e.get("record_id") is not None]
    mine = set()
    if ids:
        mine = {i for (i,) in conn.execute(select(Record.id).where(Record.id.in_(ids), Record.dept_code == dept))}
    breakdown = dict(t.get("breakdown") or {})
    if breakdown.get("departments"):
        own = [d for d in breakdown["departments"] if d["name"] == t.get("dept_name")]
        others = sum(d["signals"] for d in breakdown["departments"] if d["name"] != t.get("dept_name"))
        breakdown["departments"] = own + ([{"name": "其他部门", "signals": round(others, 2)}] if others else [])
    return {**t, "evidence": [e for e in evidence if e.get("record_id") in mine], "breakdown": breakdown}


def get_scoped_task(conn: Connection, task_id: int, dept: str | None) -> dict[str, Any] | None:
    """The task when the user may see it (None: missing, or another department's)."""
    conds = [Task.id == task_id] + ([Task.dept_code == dept] if dept else [])
    r = conn.execute(select(Task.__table__).where(*conds)).first()
    return scope_task(conn, _decode(r), dept) if r else None


def _build_settings(conn: Connection, build_id: int | None, fallback: TaskSettings) -> tuple[TaskSettings, dict]:
    """The settings the task's build ranked it with (so the formula shown is the one that produced the score)."""
    if build_id is None:
        return fallback, {}
    b = conn.execute(select(TaskBuild.__table__).where(TaskBuild.id == build_id)).first()
    if b is None:
        return fallback, {}
    info = {"build": b.id, "built_at": b.built_at.isoformat(sep=" "), "model_version": b.model_version,
            "settings_hash": b.settings_hash}
    try:
        names = {f.name for f in dataclasses.fields(TaskSettings)}
        cfg = TaskSettings(**{k: v for k, v in json.loads(b.settings).items() if k in names})
    except (TypeError, ValueError):
        cfg = fallback
    return cfg, info


def component_rows(components: Mapping[str, float | None], cfg: TaskSettings,
                   heat: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each component with its weight, its share of the 100 points and the points it adds
    (``feedback.tasks.explain.contributions``, rounded for the screen): the points add up to the priority."""
    return [{**r, "share": None if r["share"] is None else round(r["share"], 4),
             "points": None if r["points"] is None else round(r["points"], 2)}
            for r in contributions(components, cfg, heat)]


def impact_view(impact: Mapping[str, Any] | None, confidence: float) -> dict[str, Any] | None:
    """The stored impact check with both rates and their Wilson intervals, in percent."""
    if not impact:
        return None
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    out = {**impact, "verdict_name": VERDICTS.get(impact.get("verdict"), impact.get("verdict"))}
    for side in ("before", "after"):
        k, n = impact.get(f"{side}_complaints"), impact.get(f"{side}_total")
        if n:
            lo, hi = wilson(k, n, z)
            out[f"{side}_rate"] = round(100.0 * k / n, 4)
            out[f"{side}_ci"] = [round(100.0 * lo, 4), round(100.0 * hi, 4)]
    try:
        fields = {f.name for f in dataclasses.fields(Impact)}
        out["summary"] = Impact(**{k: v for k, v in impact.items() if k in fields}).summary()
    except (TypeError, KeyError, ValueError):
        out["summary"] = None
    return out


HEAT_UNITS = {"volume": "条", "citizens": "人", "support": "个点赞", "persistence": "周", "burst": "z 值",
              "recency": "天前"}


def heat_view(heat: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A topic's stored heat index (``metrics["heat"]``) as rows to show, None when the task has none."""
    if not heat or heat.get("score") is None:
        return None
    comps = heat.get("components") or {}
    rows = [{"name": k, "label": HEAT_LABELS.get(k, k), "value": c.get("value"), "unit": HEAT_UNITS.get(k, ""),
             "points": c.get("points")} for k, c in comps.items() if isinstance(c, Mapping)]
    return {"score": heat["score"], "rows": rows}


def task_detail(conn: Connection, task_id: int, dept: str | None, cfg: TaskSettings,
                taxonomy: Taxonomy | None = None, as_of: date | None = None) -> dict[str, Any] | None:
    """Everything the detail view and ``/api/v1/tasks/<id>`` show (``overdue_days`` on ``as_of``, None: today by
    the storage clock)."""
    t = get_scoped_task(conn, task_id, dept)
    if t is None:
        return None
    t["overdue_days"] = overdue_days(t["status"], t["due_date"], judged_on(as_of))
    build_cfg, build = _build_settings(conn, t.get("build_id"), cfg)
    heat = (t.get("metrics") or {}).get("heat")
    rows = component_rows(t["components"] or {}, build_cfg, heat)
    position = type_position(conn, t, dept)
    history = [{**h, "action_name": ACTION_NAMES.get(h["action"], h["action"]),
                "from_name": STATUSES.get(h["from_status"]) if h["from_status"] else None,
                "to_name": STATUSES.get(h["to_status"]) if h["to_status"] else None}
               for h in task_history(conn, task_id)]
    texts = display.mask_texts([e.get("text") for e in t.get("evidence") or []])
    evidence = [{**e, "text": x or ""} for e, x in zip(t.get("evidence") or [], texts, strict=True)]
    return {
        **summary(t, taxonomy), "subcategory": t.get("subcategory"), "region_code": t.get("region_code"),
        "source_name": SOURCE_NAMES.get(t["source"], t["source"]),
        "dismissed_reason": t.get("dismissed_reason"), "shipped_at": t.get("shipped_at"),
        "formula": priority_formula(build_cfg), "component_rows": rows, "position": position,
        "explanation": explain(t, rows, build_cfg, position=position, type_name=TYPE_NAMES[type_of(t["kind"])]),
        "heat": heat_view(heat),
        "build": build, "metrics": t.get("metrics") or {}, "evidence": evidence,
        "breakdown": t.get("breakdown") or {}, "series": t.get("series") or [],
        "impact": impact_view(t.get("impact"), build_cfg.impact_confidence), "history": history,
        "transitions": sorted(TRANSITIONS.get(t["status"], ())),
        "impact_window_days": build_cfg.impact_window_days,
    }


def task_choices(conn: Connection, dept: str | None,
                 taxonomy: Taxonomy | None = None) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for the category and department controls, from the current tasks."""
    scope = [Task.active == true()] + ([Task.dept_code == dept] if dept else [])
    cats = [c for (c,) in conn.execute(select(Task.category).where(*scope).distinct())]
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    order = display.category_order(taxonomy)  # the taxonomy's order, "other" and unclassified topics last
    categories = sorted(((c or NO_CATEGORY, display.category_name(c, taxonomy) if c else "未分类（话题）")
                         for c in cats),
                        key=lambda p: (p[0] == NO_CATEGORY, order.index(p[0]) if p[0] in order else len(order), p[1]))
    rows = conn.execute(select(Task.dept_code, func.max(Task.dept_name)).where(*scope, Task.dept_code.is_not(None))
                        .group_by(Task.dept_code)).all()
    depts = sorted(((code, name or code) for code, name in rows), key=lambda p: p[1])
    return {"categories": categories, "depts": depts,
            "statuses": list(STATUSES.items())}
