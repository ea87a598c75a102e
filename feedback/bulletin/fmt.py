"""How bulletin figures are written in Chinese text: the shared KPI formatter (feedback.stats.formats) and the
bulletin's own list joiner, for its sentences and every renderer."""

from __future__ import annotations

from feedback.stats.formats import change, count, missing, number, rate, trend, value

__all__ = ["change", "count", "joined", "missing", "number", "rate", "trend", "value"]


def joined(items: list[str], limit: int = 3) -> str:
    items = [i for i in items if i][:limit]
    return "、".join(items)
