"""Shared figure styling (font, level colours, base layout) and figure JSON for the pages; the builders live in
figures_overview, figures_tasks and figures_models."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from typing import Any

import plotly.graph_objects as go

FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
LEVEL_COLOURS = {5: "#1a7f37", 4: "#4c9a2a", 3: "#9a8a00", 2: "#d4570f", 1: "#b3261e"}


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 22}}, font={"family": FONT, "size": 18, "color": "#1b1f24"},
        margin={"l": 60, "r": 20, "t": 60, "b": 50}, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.15}, barmode="stack", height=420,
    )
    fig.update_yaxes(gridcolor="#e3e6ea", rangemode="tozero")
    return fig


def nice_axis(maximum: float, *, integer: bool = False, ticks: int = 5) -> dict[str, Any]:
    """A 0-based axis with evenly spaced round ticks (steps of 1, 2, 2.5 or 5 × 10^k) covering ``maximum``;
    ``integer``: counts, never a half step."""
    top = float(maximum) if maximum and math.isfinite(float(maximum)) and float(maximum) > 0 else 1.0
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1, math.ceil(step))
    return {"range": [0, math.ceil(top / step - 1e-9) * step * 1.04], "tick0": 0, "dtick": step,
            "tickmode": "linear"}


def log_count_axis(peak: float) -> dict[str, Any]:
    """A log axis of counts from 1 to a little above ``peak``, a tick at each power of ten written as a plain number
    (10,000, not 10k): the level charts, where 不满意 and 非常不满意 are a few hundredths of the ratings and under a
    pixel tall on a linear axis (the counts are printed above the bars)."""
    top = max(1.0, float(peak)) if peak and math.isfinite(float(peak)) else 1.0
    return {"type": "log", "range": [-0.1, math.log10(top) + 0.35], "dtick": 1, "tickformat": ",d"}


def span_axis(lo: float | None, hi: float | None, *, upper: float | None = None, ticks: int = 5) -> dict[str, Any]:
    """A linear axis over ``[lo, hi]`` (not from 0) with round steps of 1, 2 or 5 × 10^k and as many decimals as
    the step has, trailing zeros dropped as Plotly's own labels do (9.9, 9.95, 10), so every tick reads exactly
    (Plotly's own steps include 2.5 × 10^k, which a fixed ".2f" showed as 9.81, 9.83, 9.86 …); no tick above
    ``upper`` (100 %, 10 points). A flat series gets a small span around its value. {} when there are no values,
    so Plotly chooses."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return {}
    if hi <= lo:
        half = max(abs(hi) * 0.0025, 0.025)
        lo, hi = hi - half, hi + half
        if upper is not None and hi > upper:
            lo, hi = lo - (hi - upper), upper
    span = hi - lo
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    last = max(last, first + step)
    if upper is not None:
        last = min(last, max(first, math.floor(upper / step + 1e-9) * step))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return {"range": [first - 0.15 * step, last + 0.15 * step], "tick0": first, "dtick": step,
            "tickmode": "linear", "tickformat": f".{decimals}~f"}


@functools.cache
def plotly_template() -> dict[str, Any]:
    """Plotly's default template as plain data: what ``go.Figure`` puts under ``layout.template``, for the figure
    specs built as dicts (figures_overview) so they look the same."""
    import plotly.io as pio

    return pio.templates[pio.templates.default].to_plotly_json()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(fig: go.Figure | dict[str, Any]) -> str:
    """The figure as JSON for a ``data-figure`` attribute (Jinja escapes it; static/charts.js draws it): a
    ``go.Figure``, or a plain spec dict whose values are JSON types, dates or numpy scalars (NaN as None)."""
    if isinstance(fig, dict):
        return json.dumps(fig, default=_json_default, allow_nan=False, separators=(",", ":"))
    return fig.to_json()
