"""Plotly figure builders: pure functions DataFrame -> go.Figure, and their JSON for the page."""

from __future__ import annotations

import pandas as pd
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


def level_bars(levels: pd.DataFrame) -> go.Figure:
    """Ratings per level (非常满意 … 非常不满意), active and 系统默认 stacked; hover shows exact counts."""
    fig = go.Figure()
    colours = [LEVEL_COLOURS[int(lv)] for lv in levels["level"]]
    fig.add_bar(x=levels["level_name"], y=levels["active"], name="主动评价", marker_color=colours,
                showlegend=False, hovertemplate="%{x}<br>主动评价 %{y:,} 条<extra></extra>")
    if int(levels["default"].sum()):
        # Only the grey part needs explaining: the coloured bars are the citizens' own ratings.
        fig.add_bar(x=levels["level_name"], y=levels["default"], name="灰色：系统默认评价（未主动评价）",
                    marker_color="#aab2bd", showlegend=True,
                    hovertemplate="%{x}<br>系统默认评价 %{y:,} 条<extra></extra>")
    # The bad tail is a fraction of a percent: print every bar's total so a 24 next to 19,000 is still read.
    totals = levels["active"] + levels["default"]
    fig.add_scatter(x=levels["level_name"], y=totals, mode="text", text=[f"{int(v):,}" for v in totals],
                    textposition="top center", showlegend=False, hoverinfo="skip")
    _layout(fig, "各满意度等级的评价数（柱顶为条数）")
    fig.update_yaxes(range=[0, max(1, int(totals.max())) * 1.15])
    return fig


def to_json(fig: go.Figure) -> str:
    """The figure as JSON for a ``data-figure`` attribute (Jinja escapes it; static/charts.js draws it)."""
    return fig.to_json()
