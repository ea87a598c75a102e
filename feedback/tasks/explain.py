"""Why a task ranks where it does, in plain words: each component's additive share of the final priority, and one
Chinese sentence built from the figures behind the biggest shares (pure functions; the formula itself is
``feedback.tasks.priority``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feedback.tasks.config import COMPONENT_LABELS, COMPONENTS, TaskSettings
from feedback.tasks.priority import component_points

HEAT_LABEL = "热度"
# A week is called a 突增 only this many standard deviations above the weekly median (a single complaint
# in a quiet group is z = 1: not a surge, though it earns its small burst points).
BURST_WORDS_Z = 3.0


def contributions(components: Mapping[str, float | None], cfg: TaskSettings,
                  heat: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per component: its value (0–1), configured weight, ``share`` (the part of 100 points it can earn:
    weight ÷ Σ weights of the components that apply, times the formula's part of a topic's blend) and ``points``
    = 100 × value × share. The points of a task add up to its priority: no renormalised factor is left out.

    ``heat`` (a topic task's ``metrics["heat"]``, ``{"score": 0–100, ...}``) adds a 热度 row when the settings
    blend heat into a topic's priority (``heat_share``): priority = (1 − heat_share) × formula + heat_share × 热度.
    """
    weights = cfg.weights()
    points = component_points(components, cfg)
    applicable = sum(weights[c] for c in COMPONENTS if components.get(c) is not None)
    heat_share = float(getattr(cfg, "heat_share", 0.0) or 0.0) if heat and heat.get("score") is not None else 0.0
    scale = 1.0 - heat_share
    rows = []
    for c in COMPONENTS:
        value = components.get(c)
        share = None if value is None or applicable <= 0 else scale * weights[c] / applicable
        rows.append({"name": c, "label": COMPONENT_LABELS[c], "value": value, "weight": weights[c],
                     "share": share, "points": None if points[c] is None else scale * points[c]})
    if heat_share > 0:
        score = float(heat["score"])
        rows.append({"name": "heat", "label": HEAT_LABEL, "value": score / 100.0, "weight": heat_share,
                     "share": heat_share, "points": heat_share * score})
    return rows


def _int(x: Any) -> str:
    return f"{int(round(float(x))):,}"


def _pct(rate: float) -> str:
    return f"{100 * rate:.2f}%" if rate >= 0.001 else f"{100 * rate:.3f}%"


def _window(days: int) -> str:
    return f"{days // 7} 周" if days % 7 == 0 else f"{days} 天"


def _count_fact(task: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    signals = int(task.get("signals") or 0)
    messages = min(int(metrics.get("messages") or 0), signals)
    ratings = signals - messages
    parts = ([f"差评和隐性投诉 {ratings:,} 条"] if ratings else []) + ([f"12345 留言 {messages:,} 条"] if messages else [])
    return "、".join(parts) or "暂无投诉"


def _fact(name: str, task: Mapping[str, Any], m: Mapping[str, Any], cfg: TaskSettings,
          heat: Mapping[str, Any] | None) -> str | None:
    """The figure behind one component, in words (None where the figures are missing)."""
    if name == "reach" and m.get("reach"):
        who = "人反映或附议" if task.get("kind") == "topic" else "位办事群众"
        return f"涉及 {_int(m['reach'])} {who}"
    if name == "rate" and m.get("rate_smoothed") and m.get("rate_baseline"):
        rate, base = float(m["rate_smoothed"]), float(m["rate_baseline"])
        return f"差评率 {_pct(rate)}，是同类平均（{_pct(base)}）的 {rate / base:.1f} 倍"
    if name == "trend" and m.get("recent") is not None:
        window = _window(cfg.trend_window_days)
        recent, previous = float(m["recent"]), float(m.get("previous") or 0.0)
        if previous > 0:
            return f"近 {window}加权投诉 {recent:.1f}，是前 {window}的 {recent / previous:.1f} 倍"
        return f"近 {window}加权投诉 {recent:.1f}，前 {window}没有" if recent > 0 else None
    if name == "burst" and m.get("burst_week") and float(m.get("burst_z") or 0.0) >= BURST_WORDS_Z:
        return f"{m['burst_week']} 当周投诉突增"
    if name == "persistence" and m.get("active_weeks"):
        return f"{int(m['active_weeks'])} 周有投诉"
    if name == "support" and m.get("support"):
        return f"留言获得 {_int(m['support'])} 个点赞（已减去反对）"
    if name == "recency" and m.get("age_days") is not None:
        days = float(m["age_days"])
        return "最近一条就在当天" if days < 1 else f"最近一条在 {days:.0f} 天前"
    if name == "heat" and heat and heat.get("score") is not None:
        return f"热度 {float(heat['score']):.0f}（满分 100）"
    return None  # volume is said by the count


def explain(task: Mapping[str, Any], rows: list[dict[str, Any]], cfg: TaskSettings, *,
            position: int | None, type_name: str, top: int = 3) -> str:
    """One sentence: the complaint count, the figures behind the ``top`` biggest shares, the two largest
    contributions in points, and the place in the list, e.g. "差评和隐性投诉 37 条，差评率 0.80%，是同类平均（0.20%）的
    4.0 倍，近 4 周加权投诉 12.0，是前 4 周的 2.3 倍；得分最多的是差评率（20.0 分）和规模（12.0 分），优先级 60.0 分，
    因此在政务服务任务中排第 1 名。" ``rows`` are :func:`contributions`."""
    metrics = task.get("metrics") or {}
    heat = metrics.get("heat")
    ranked = sorted((r for r in rows if r["points"] and r["points"] > 0), key=lambda r: -r["points"])
    facts = [_count_fact(task, metrics)]
    for r in ranked[:top]:
        fact = _fact(r["name"], task, metrics, cfg, heat)
        if fact and fact not in facts:
            facts.append(fact)
    biggest = "和".join(f"{r['label']}（{r['points']:.1f} 分）" for r in ranked[:2])
    score = float(task.get("score") or 0.0)
    head = "，".join(facts)
    lead = f"；得分最多的是{biggest}" if biggest else ""
    if position is None:
        return f"{head}{lead}，优先级 {score:.1f} 分；最近一次重建未再出现，不参与排名。"
    return f"{head}{lead}，优先级 {score:.1f} 分，因此在{type_name}任务中排第 {position} 名。"
