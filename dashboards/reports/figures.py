"""Plotly figures of the HTML bulletin: pure functions DataFrame -> go.Figure (drawn offline by inlined plotly.js)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures.style import FONT, LEVEL_COLOURS, log_count_axis, nice_axis

RED, GREY, BLUE = "#b3261e", "#aab2bd", "#2f5d8a"


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 16}}, font={"family": FONT, "size": 13},
                      margin={"l": 10, "r": 20, "t": 50, "b": 40}, paper_bgcolor="#fff", plot_bgcolor="#fff",
                      legend={"orientation": "h", "y": -0.12}, height=height)
    fig.update_xaxes(gridcolor="#e3e6ea", automargin=True)
    fig.update_yaxes(gridcolor="#e3e6ea", automargin=True)
    return fig


def level_figure(levels: pd.DataFrame) -> go.Figure:
    """Ratings per level: 主动评价 coloured by level, 系统默认 stacked in grey; totals printed on the bars."""
    fig = go.Figure()
    fig.add_bar(x=levels["name"], y=levels["active"], name="主动评价",
                marker_color=[LEVEL_COLOURS[int(v)] for v in levels["level"]],
                hovertemplate="%{x}<br>主动评价 %{y:,} 条<extra></extra>")
    fig.add_bar(x=levels["name"], y=levels["default"], name="系统默认评价", marker_color=GREY,
                hovertemplate="%{x}<br>系统默认 %{y:,} 条<extra></extra>")
    totals = levels["total"]
    fig.add_scatter(x=levels["name"], y=totals, mode="text", text=[f"{int(v):,}" for v in totals],
                    textposition="top center", showlegend=False, hoverinfo="skip")
    _layout(fig, "各满意度等级评价数（主动评价与系统默认）")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(**log_count_axis(totals.max() if len(totals) else 0),  # as on 总览
                     title={"text": "评价数（条，对数刻度）", "font": {"size": 12}})
    return fig


def channel_figure(channels: pd.DataFrame) -> go.Figure:
    """评价数 by channel (bars) with each channel's 差评率 in the hover and as a marker on a second axis."""
    c = channels.iloc[::-1]
    fig = go.Figure()
    fig.add_bar(y=c["channel_name"], x=c["total"], orientation="h", name="评价数", marker_color=BLUE,
                customdata=c[["bad", "bad_rate"]].fillna(0).to_numpy(),
                hovertemplate="%{y}<br>评价数 %{x:,}<br>差评 %{customdata[0]:,} 条，差评率 %{customdata[1]:.4f}%"
                              "<extra></extra>")
    fig.add_scatter(y=c["channel_name"], x=c["bad_rate"], xaxis="x2", mode="markers", name="差评率(%)",
                    marker={"color": RED, "size": 10, "symbol": "diamond"},
                    hovertemplate="%{y}<br>差评率 %{x:.4f}%<extra></extra>")
    _layout(fig, "分渠道评价数与差评率", height=max(260, 46 * len(c) + 110))
    fig.update_layout(xaxis2={"overlaying": "x", "side": "top", "rangemode": "tozero", "showgrid": False,
                              "tickformat": ".2f",
                              "title": {"text": "差评率(%)", "font": {"size": 12}}})
    return fig


def ranking_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """差评率 of the ranked units, observed against case-mix adjusted, best-ranked unit on top."""
    t = table[table["eligible"].astype(bool)].iloc[::-1]
    fig = go.Figure()
    fig.add_bar(y=t["name"], x=t["bad_rate"], orientation="h", name="差评率", marker_color=RED,
                hovertemplate="%{y}<br>差评率 %{x:.4f}%<extra></extra>")
    fig.add_bar(y=t["name"], x=t["adjusted_bad_rate"], orientation="h", name="调整后差评率", marker_color=GREY,
                hovertemplate="%{y}<br>调整后差评率 %{x:.4f}%<extra></extra>")
    _layout(fig, title, height=max(280, 30 * len(t) + 120))
    fig.update_layout(barmode="group")
    fig.update_xaxes(ticksuffix="%", rangemode="tozero")  # no axis title for the legend below to run into
    return fig


def category_figure(table: pd.DataFrame) -> go.Figure:
    """Complaints per category (差评, 隐性投诉, 留言 stacked), largest on top."""
    t = table.iloc[::-1]
    fig = go.Figure()
    for col, name, colour in (("bad", "差评", RED), ("hidden", "隐性投诉", "#d4a017"), ("messages", "留言", BLUE)):
        if col != "bad" and not t[col].sum():  # no legend entry for a kind no category holds
            continue
        fig.add_bar(y=t["name"], x=t[col], orientation="h", name=name, marker_color=colour,
                    hovertemplate="%{y}<br>" + name + " %{x:,} 条<extra></extra>")
    _layout(fig, "群众反映问题分类（不含其他问题）", height=max(260, 30 * len(t) + 120))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(**nice_axis(t["total"].max() if len(t) else 0, integer=True))  # the stack's counts: whole steps
    return fig
