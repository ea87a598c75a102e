"""Figures of the 优化任务 detail view: pure functions DataFrame -> go.Figure (see dashboards.figures.style)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures.style import FONT

LINE = "#0a58ca"
SHIPPED = "#1a7f37"


def series_frame(series: list[list]) -> pd.DataFrame:
    """A task's stored weekly series ``[[Monday, weighted complaints], ...]`` as a frame (week, signals)."""
    frame = pd.DataFrame(series or [], columns=["week", "signals"])
    frame["week"] = pd.to_datetime(frame["week"])
    frame["signals"] = frame["signals"].astype(float)
    return frame


def task_sparkline(weekly: pd.DataFrame, shipped: str | None = None) -> go.Figure:
    """Weekly weighted complaints of one task as a small filled line; a green line marks when the fix shipped."""
    fig = go.Figure()
    fig.add_scatter(x=weekly["week"], y=weekly["signals"], mode="lines+markers", line={"color": LINE, "width": 3},
                    marker={"size": 6}, fill="tozeroy", fillcolor="rgba(10, 88, 202, .12)", showlegend=False,
                    hovertemplate="%{x|%Y-%m-%d} 当周<br>加权投诉 %{y:.1f}<extra></extra>")
    if shipped:
        day = pd.Timestamp(shipped).strftime("%Y-%m-%d")
        fig.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, yref="paper",
                      line={"color": SHIPPED, "width": 2, "dash": "dash"})
        fig.add_annotation(x=day, y=1, yref="paper", text="上线", showarrow=False, xanchor="left",
                           font={"color": SHIPPED, "size": 16})
    fig.update_layout(
        font={"family": FONT, "size": 15, "color": "#1b1f24"}, height=230, showlegend=False,
        margin={"l": 44, "r": 16, "t": 14, "b": 36}, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
    )
    fig.update_xaxes(showgrid=False, ticks="outside", ticklen=6, **week_ticks(weekly["week"]))
    fig.update_yaxes(gridcolor="#e3e6ea", rangemode="tozero", title=None)
    return fig


def week_ticks(weeks: pd.Series) -> dict:
    """The x axis ticks of a weekly series: days on a short one ("06-15"); on a long one a tick on the first of
    every month, or of every second or third month over a longer span, each month named once ("7月", with the year
    when the series spans two: "25年11月"). Left to itself Plotly ticks a long weekly axis every other week under
    a month format, which names each month twice (6月 7月 7月 8月 8月)."""
    if len(weeks) <= 10:
        return {"tickformat": "%m-%d"}
    first, last = pd.Timestamp(weeks.min()), pd.Timestamp(weeks.max())
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return {"dtick": f"M{-(-months // 8)}", "tick0": "2000-01-01",
            "tickformat": "%-m月" if first.year == last.year else "%y年%-m月"}


def component_bars(rows: pd.DataFrame) -> go.Figure:
    """Points each score component adds (label, points); components that do not apply are left out."""
    shown = rows[rows["points"].notna()].iloc[::-1]
    fig = go.Figure()
    fig.add_bar(x=shown["points"], y=shown["label"], orientation="h", marker_color=LINE,
                text=[f"{v:.1f}" for v in shown["points"]], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}：%{x:.2f} 分<extra></extra>")
    top = float(shown["points"].max()) if len(shown) else 1.0
    fig.update_layout(
        font={"family": FONT, "size": 15, "color": "#1b1f24"}, height=40 * max(len(shown), 1) + 50,
        showlegend=False, margin={"l": 80, "r": 40, "t": 10, "b": 30}, paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
    )
    fig.update_xaxes(range=[0, max(top, 1.0) * 1.2], gridcolor="#e3e6ea", title=None)
    return fig
