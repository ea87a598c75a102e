"""Shared figure styling (font, level colours, base layout) and figure JSON for the pages; the builders live in
figures_overview, figures_tasks and figures_models."""

from __future__ import annotations

import datetime as dt
import functools
import json
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
