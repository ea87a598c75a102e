"""Shared figure styling (font, level colours, base layout) and figure JSON for the pages; the builders live in
figures_overview, figures_tasks and figures_models."""

from __future__ import annotations

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


def to_json(fig: go.Figure) -> str:
    """The figure as JSON for a ``data-figure`` attribute (Jinja escapes it; static/charts.js draws it)."""
    return fig.to_json()
