"""Settings of task building and ranking (the future ``[tasks]`` section of config.toml), with defaults."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

# Component names in display order, with their Chinese labels (shown in the product next to the formula).
COMPONENTS: tuple[str, ...] = (
    "volume", "reach", "rate", "trend", "burst", "persistence", "support", "recency",
)
COMPONENT_LABELS: dict[str, str] = {
    "volume": "规模", "reach": "覆盖面", "rate": "差评率", "trend": "趋势", "burst": "突发",
    "persistence": "持续性", "support": "支持度", "recency": "时效",
}

PLACEMENT_KEYS = ("scheduler",)  # say where a rebuild runs, not what it gives


@dataclass(frozen=True)
class TaskSettings:
    """Every knob of task building; ``feedback.settings`` will expose it as ``settings.tasks``."""

    # Priority weights (any non-negative numbers; the score divides by the sum of the applicable ones).
    w_volume: float = 0.15
    w_reach: float = 0.15
    w_rate: float = 0.20
    w_trend: float = 0.10
    w_burst: float = 0.10
    w_persistence: float = 0.10
    w_support: float = 0.15
    w_recency: float = 0.05
    # Severity weights of one signal.
    severity_very_bad: float = 1.0  # 非常不满意
    severity_bad: float = 0.6  # 不满意
    severity_hidden: float = 0.3  # a good or neutral rating whose text complains
    severity_message: float = 0.6  # one 12345 / message-board complaint
    # Time: only signals this many days before the latest record count (0 = all), and window lengths.
    horizon_days: int = 365
    trend_window_days: int = 28
    trend_prior: float = 2.0  # pseudo-count added to both windows before taking their ratio
    trend_cap: float = 4.0  # growth factor that earns the full trend component
    burst_z_cap: float = 6.0  # weekly z-score that earns the full burst component
    recency_half_life_days: float = 30.0
    persistence_full_weeks: int = 13  # weeks with complaints that earn the full persistence component
    # Empirical-Bayes smoothing of complaint rates.
    rate_prior_strength_min: float = 100.0  # bounds of the prior's pseudo-count (alpha + beta), fitted by
    rate_prior_strength_max: float = 10000.0  # the method of moments across the groups of one category
    rate_lift_cap: float = 5.0  # smoothed rate / category baseline that earns the full rate component
    rate_quantile: float = 0.1  # the rate component credits this lower quantile of the posterior rate
    # Grouping.
    onsite_categories: str = "queue_onsite,staff_attitude,staff_competence"  # grouped by hall, not service
    topic_threshold: float = 0.85  # cosine distance at which topic clusters stop merging
    topic_merge_similarity: float = 0.25  # clusters sharing an anchor merge above this centroid similarity
    topic_max_docs: int = 6000  # most recent topic documents clustered together per unit (the rest join or stay single)
    # Evidence and listing.
    evidence_count: int = 5
    keyword_count: int = 8
    duplicate_similarity: float = 0.8  # representative comments at least this similar collapse into one
    detail_top: int = 500  # tasks (best first) that get full evidence and keywords
    # Impact check.
    impact_window_days: int = 28
    impact_confidence: float = 0.95
    impact_min_signals: int = 5  # fewer complaints before shipping than this: no verdict
    # Heat index (热度) of topic tasks (feedback.tasks.heat): weights, the figures that earn a full component,
    # and the share of a topic's priority the heat takes.
    heat_w_volume: float = 0.2  # 留言量
    heat_w_citizens: float = 0.15  # 留言人数 (distinct writers)
    heat_w_support: float = 0.2  # 支持度 (net likes)
    heat_w_persistence: float = 0.15  # 持续周数
    heat_w_burst: float = 0.15  # 突发 (against the group's own weekly median)
    heat_w_recency: float = 0.15  # 时效
    heat_volume_full: float = 50.0  # messages that earn the full volume component
    heat_citizens_full: float = 30.0  # distinct writers that earn the full citizens component
    heat_support_full: float = 1000.0  # net likes that earn the full support component
    heat_share: float = 0.5  # topic priority = (1 − share) × priority formula + share × heat
    # Where the topic grouping runs: "" in this process, a Dask scheduler (tcp://HOST:PORT) or "local:N" (N worker
    # processes started here for the run). The tasks are the same anywhere, so it is not part of the digest.
    scheduler: str = ""

    def weights(self) -> dict[str, float]:
        return {name: float(getattr(self, f"w_{name}")) for name in COMPONENTS}

    def onsite(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.onsite_categories.split(",") if s.strip())

    def recorded(self) -> dict[str, Any]:
        """The settings that decide the tasks (all but where they are computed), as stored with every build."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in PLACEMENT_KEYS}

    def digest(self) -> str:
        """A short hash of these settings, stored with every build so a ranking can say what produced it."""
        raw = json.dumps(self.recorded(), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


# Allowed ranges (inclusive; None = unbounded) of the [tasks] keys that need more than "not negative", which
# every number of the settings must be (feedback.settings checks both when the file is read).
RANGES: dict[str, tuple[float | None, float | None]] = {
    "trend_window_days": (1, None), "trend_cap": (1, None), "recency_half_life_days": (0.01, None),
    "persistence_full_weeks": (1, None), "rate_prior_strength_min": (1, None), "rate_prior_strength_max": (1, None),
    "rate_lift_cap": (1, None), "rate_quantile": (0.01, 0.5), "topic_threshold": (0, 2), "topic_merge_similarity": (0, 1),
    "topic_max_docs": (1, None), "duplicate_similarity": (0, 1), "impact_window_days": (1, None),
    "impact_confidence": (0.5, 0.999), "burst_z_cap": (0.01, None),
    "heat_w_volume": (0, 10), "heat_w_citizens": (0, 10), "heat_w_support": (0, 10), "heat_w_persistence": (0, 10),
    "heat_w_burst": (0, 10), "heat_w_recency": (0, 10), "heat_volume_full": (1, 100000),
    "heat_citizens_full": (1, 100000), "heat_support_full": (1, 10000000), "heat_share": (0, 1),
}


def task_settings(settings: Any = None) -> TaskSettings:
    """The ``[tasks]`` section of application settings when it exists, else the defaults above."""
    section = getattr(settings, "tasks", None) if settings is not None else None
    if isinstance(section, TaskSettings):
        return section
    if section is not None and dataclasses.is_dataclass(section):
        names = {f.name for f in dataclasses.fields(TaskSettings)}
        return TaskSettings(**{k: v for k, v in dataclasses.asdict(section).items() if k in names})
    return TaskSettings()
