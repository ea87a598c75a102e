"""Heat index (热度) of topic tasks: how hot a citizens' issue is, from components a reviewer can check by hand
(pure functions).

Each component is in [0, 1] on an absolute scale (not relative to the biggest task of the build, so a task's heat
does not move because another task grew):

- volume 留言量 = ln(1 + messages) ÷ ln(1 + ``heat_volume_full``), capped at 1
- citizens 留言人数 = ln(1 + distinct writers) ÷ ln(1 + ``heat_citizens_full``), capped at 1
- support 支持度 = ln(1 + Σ max(0, likes − dislikes)) ÷ ln(1 + ``heat_support_full``), capped at 1
- persistence 持续周数 = weeks with a message ÷ ``persistence_full_weeks``, capped at 1
- burst 突发 = the group's largest weekly z against its own weekly median ÷ ``burst_z_cap``, capped at 1
  (z = (week − median) ÷ √(median + 1), the same z as the priority's burst)
- recency 时效 = 0.5 ^ (days since the last message ÷ ``recency_half_life_days``)

heat = 100 × Σ wᵢ·cᵢ ÷ Σ wᵢ (weights ``heat_w_*``); each component's points = 100 × wᵢ·cᵢ ÷ Σ wᵢ, so the points
sum to the heat. A topic's priority blends it in: (1 − ``heat_share``) × priority + ``heat_share`` × heat."""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedback.tasks.config import TaskSettings

HEAT_COMPONENTS: tuple[str, ...] = ("volume", "citizens", "support", "persistence", "burst", "recency")
HEAT_LABELS: dict[str, str] = {
    "volume": "留言量", "citizens": "留言人数", "support": "支持度", "persistence": "持续周数", "burst": "突发",
    "recency": "时效",
}
# the raw figure behind each component (a column of feedback.tasks.priority.group_metrics)
_RAW = {"volume": "signals", "citizens": "citizens", "support": "support", "persistence": "active_weeks",
        "burst": "burst_z", "recency": "age_days"}


def heat_weights(cfg: TaskSettings) -> dict[str, float]:
    return {c: float(getattr(cfg, f"heat_w_{c}")) for c in HEAT_COMPONENTS}


def _log_scale(x: pd.Series, full: float) -> pd.Series:
    return (np.log1p(x.clip(lower=0).astype(float)) / np.log1p(max(full, 1e-9))).clip(0, 1)


def heat_components(m: pd.DataFrame, cfg: TaskSettings) -> pd.DataFrame:
    """Each heat component in [0, 1], one row per group of the metrics frame ``m``."""
    c = pd.DataFrame(index=m.index)
    c["volume"] = _log_scale(m["signals"], cfg.heat_volume_full)
    c["citizens"] = _log_scale(m["citizens"], cfg.heat_citizens_full)
    c["support"] = _log_scale(m["support"], cfg.heat_support_full)
    c["persistence"] = (m["active_weeks"].astype(float) / max(cfg.persistence_full_weeks, 1)).clip(0, 1)
    c["burst"] = (m["burst_z"].astype(float) / cfg.burst_z_cap).clip(0, 1)
    c["recency"] = np.power(0.5, m["age_days"].astype(float).clip(lower=0) / cfg.recency_half_life_days)
    return c[list(HEAT_COMPONENTS)]


def heat_points(comps: pd.DataFrame, cfg: TaskSettings) -> pd.DataFrame:
    """What each component adds to the heat: 100 × wᵢ·cᵢ ÷ Σ wᵢ (0 when every weight is 0)."""
    w = heat_weights(cfg)
    total = sum(w.values())
    scale = 100.0 / total if total > 0 else 0.0
    return pd.DataFrame({c: scale * w[c] * comps[c].astype(float) for c in HEAT_COMPONENTS}, index=comps.index)


def heat_scores(m: pd.DataFrame, cfg: TaskSettings) -> pd.Series:
    """The heat index 0..100 of every group in ``m``."""
    return heat_points(heat_components(m, cfg), cfg).sum(axis=1)


def heat_records(m: pd.DataFrame, cfg: TaskSettings, groups=None) -> dict[int, dict]:
    """``{group: {"score": .., "components": {name: {"value": .., "points": ..}}}}`` for the groups of ``m``
    (only those in ``groups`` when given), as stored in a task's ``metrics["heat"]``; ``value`` is the raw figure
    (messages, writers, net likes, weeks, z, days since the last message)."""
    idx = m.index if groups is None else m.index.intersection(pd.Index(list(groups)))
    part = m.loc[idx]
    pts = heat_points(heat_components(part, cfg), cfg)
    out: dict[int, dict] = {}
    for g, row in pts.iterrows():
        comps = {}
        for c in HEAT_COMPONENTS:
            raw = float(part.at[g, _RAW[c]])
            comps[c] = {"value": round(raw, 1) if c in ("burst", "recency") else int(round(raw)),
                        "points": round(float(row[c]), 2)}
        out[int(g)] = {"score": round(float(row.sum()), 2), "components": comps}
    return out


def blend(priority: pd.Series, heat: pd.Series, is_topic: pd.Series, cfg: TaskSettings) -> pd.Series:
    """A topic's priority with its heat blended in: (1 − heat_share) × priority + heat_share × heat; other tasks
    keep their priority."""
    s = float(cfg.heat_share)
    mixed = (1.0 - s) * priority + s * heat.reindex(priority.index).fillna(0.0)
    return mixed.where(is_topic.reindex(priority.index).fillna(False).astype(bool), priority)


def heat_formula(cfg: TaskSettings | None = None) -> str:
    """The heat formula as shown in the product, with the configured weights and scales."""
    cfg = cfg or TaskSettings()
    w = heat_weights(cfg)
    terms = " + ".join(f"{w[c]:g}·{HEAT_LABELS[c]}" for c in HEAT_COMPONENTS)
    return (
        f"热度 = 100 × ({terms}) ÷ {sum(w.values()):g}\n"
        f"留言量 = ln(1+留言数) ÷ ln(1+{cfg.heat_volume_full:g})，封顶 1\n"
        f"留言人数 = ln(1+不同留言人数) ÷ ln(1+{cfg.heat_citizens_full:g})，封顶 1\n"
        f"支持度 = ln(1+Σ(点赞 − 反对)) ÷ ln(1+{cfg.heat_support_full:g})，封顶 1\n"
        f"持续周数 = 有留言的周数 ÷ {cfg.persistence_full_weeks}，封顶 1\n"
        f"突发 = 最大周 z 值 ÷ {cfg.burst_z_cap:g}，z = (周加权留言 − 本组周中位数) ÷ √(本组周中位数 + 1)\n"
        f"时效 = 0.5^(距最近一条的天数 ÷ {cfg.recency_half_life_days:g})\n"
        f"话题类任务的优先级 = {1 - cfg.heat_share:g} × 优先级公式 + {cfg.heat_share:g} × 热度"
    )
