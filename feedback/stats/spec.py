"""The KPI spec: one row per bulletin KPI (key, Chinese label, kind, unit, headline flag, 总览 card) — the one list
that ``haocha kpi``, the 总览 cards, the bulletin and its tables, and the API schema name, order and format from.

A KPI's *kind* decides its arithmetic and its text: ``rate`` is a percentage (0-100) whose 环比 / 同比 is a
difference in percentage points (个百分点); ``score`` is the 10-point 整体平均分, changing in points (分);
``count`` is a number of records or cases, changing in percent (relative). How each kind is written is in
``feedback.stats.formats``. To add a KPI: add its formula in ``kpi.py`` and its row here."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("count", "rate", "score")
UNITS = {"count": "", "rate": "%", "score": "分"}  # the unit a value is written with
CHANGE_KINDS = {"count": "pct", "rate": "pp", "score": "points"}  # how a 环比 / 同比 of the kind is taken
CHANGE_UNITS = {"pct": "%", "pp": "个百分点", "points": "分"}  # … and the unit it is written with


@dataclass(frozen=True)
class Kpi:
    """One KPI: its key in every result dict, its Chinese label, its kind, and where it is shown."""

    key: str
    label: str  # the bulletin's name for it (评价数, 好评率 …)
    kind: str  # count | rate | score
    headline: bool = True  # a row of the headline table (`haocha kpi`, the bulletin's 主要指标)
    card: str | None = None  # the label of its 总览 card (None: no card)

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    @property
    def change(self) -> str:
        """pct (relative %), pp (percentage points) or points (分)."""
        return CHANGE_KINDS[self.kind]

    @property
    def change_unit(self) -> str:
        return CHANGE_UNITS[self.change]


SPECS: tuple[Kpi, ...] = (
    Kpi("total", "评价数", "count", card="评价数"),
    Kpi("projects", "办件数", "count"),
    Kpi("active_total", "主动评价数", "count"),
    Kpi("active_rate", "主动评价率", "rate", card="主动评价率"),
    Kpi("good", "好评数", "count", headline=False),
    Kpi("good_rate", "好评率", "rate", card="好评率"),
    Kpi("active_good_rate", "主动评价好评率", "rate"),
    Kpi("bad", "差评数", "count", card="差评数"),
    Kpi("bad_rate", "差评率", "rate", card="差评率"),
    Kpi("avg_score_10", "整体平均分", "score", card="整体平均分"),
    Kpi("hidden_complaints", "隐性投诉数", "count", card="隐性投诉"),
    Kpi("voided", "无效差评数", "count"),
    Kpi("cases", "差评工单数", "count"),
    Kpi("reply_rate", "回复率", "rate"),
    Kpi("on_time_rate", "按时整改率", "rate"),
    Kpi("revisit_satisfaction_rate", "回访整改满意率", "rate"),
    Kpi("open_cases", "未办结工单数", "count"),
    Kpi("overdue_cases", "超期工单数", "count"),
)
BY_KEY: dict[str, Kpi] = {s.key: s for s in SPECS}

# Which way a KPI is better ("up" / "down"); a KPI not listed (评价数, 办件数 …) is neither better nor worse
# higher. The 总览 colours its 环比 / 同比 arrows by this (formats.direction): for 差评率 up is worse.
BETTER: dict[str, str] = {
    "active_rate": "up", "good_rate": "up", "active_good_rate": "up", "avg_score_10": "up", "reply_rate": "up",
    "on_time_rate": "up", "revisit_satisfaction_rate": "up",
    "bad": "down", "bad_rate": "down", "hidden_complaints": "down", "open_cases": "down", "overdue_cases": "down",
}

LABELS: dict[str, str] = {s.key: s.label for s in SPECS}
HEADLINE: tuple[str, ...] = tuple(s.key for s in SPECS if s.headline)  # the headline table's rows, in order
CARDS: tuple[tuple[str, str, str], ...] = tuple((s.key, s.card, s.kind) for s in SPECS if s.card)  # 总览 cards
RATE_KEYS = frozenset(s.key for s in SPECS if s.kind == "rate")
SCORE_KEYS = frozenset(s.key for s in SPECS if s.kind == "score")


def kind_of(key: str) -> str:
    """The kind of a KPI key; a key outside the spec counts as a count (its change is relative)."""
    spec = BY_KEY.get(key)
    return spec.kind if spec is not None else "count"


def change_kind(key: str) -> str:
    """How the 环比 / 同比 of ``key`` is taken and written: pct, pp or points."""
    return CHANGE_KINDS[kind_of(key)]
