"""Figures of the 总览 page: pure functions DataFrame -> go.Figure, readable on a projector.

Every clickable mark carries its drill-down URL (the frame's ``link`` column) in ``customdata``; static/app.js
opens it on click. Names from the data (services, departments, channels, categories) are untrusted: Plotly renders
a subset of HTML in hover text and tick labels, so they pass through ``html.escape`` here."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.figures import FONT, LEVEL_COLOURS

BLUE, RED, GREEN, AMBER, GREY = "#2f5d8a", "#b3261e", "#1a7f37", "#c98a00", "#aab2bd"
TICKS = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}
GRAIN_NAMES = {"day": "按日", "week": "按周", "month": "按月"}
LABEL_CHARS = 14


def safe(text: object, limit: int | None = None) -> str:
    """Untrusted text for a Plotly label: cut to ``limit`` characters (…), then HTML-escaped."""
    s = "—" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    if limit and len(s) > limit:
        s = s[:limit] + "…"
    return html.escape(s, quote=True)


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 22}, "x": 0.01, "xanchor": "left"},
        font={"family": FONT, "size": 17, "color": "#1b1f24"}, height=height,
        margin={"l": 20, "r": 20, "t": 70, "b": 50}, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        hoverlabel={"font": {"size": 16}},
    )
    fig.update_xaxes(gridcolor="#e3e6ea", automargin=True)
    fig.update_yaxes(gridcolor="#e3e6ea", automargin=True)
    return fig


def _links(frame: pd.DataFrame) -> list:
    return list(frame["link"]) if "link" in frame else [None] * len(frame)


def _span(row) -> str:
    s, e = pd.Timestamp(row.period).date(), pd.Timestamp(row.period_end).date()
    return s.isoformat() if s == e else f"{s.isoformat()} 至 {e.isoformat()}"


def _period_shade(fig: go.Figure, trend: pd.DataFrame, period: tuple[date, date] | None, grain: str) -> None:
    if period is None or trend.empty or pd.Timestamp(trend["period"].iloc[0]).date() >= period[0]:
        return  # the whole window is the period: nothing to tell apart
    first = trend[pd.to_datetime(trend["period_end"]).dt.date >= period[0]]["period"].iloc[0]
    fig.add_vrect(x0=first, x1=trend["period"].iloc[-1], fillcolor="#2f5d8a", opacity=0.07, line_width=0,
                  annotation_text="所选时段", annotation_position="top left", annotation_font_size=15)


def trend_volume(trend: pd.DataFrame, grain: str, period: tuple[date, date] | None = None) -> go.Figure:
    """评价数 (bars, left axis) and 差评率 (line, right axis) per bucket; anomalies as large rings with the reason."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    spans = [_span(r) for r in trend.itertuples()]
    links = _links(trend)
    fig.add_bar(x=trend["period"], y=trend["total"], name="评价数", marker_color="#9fb8d3",
                customdata=list(zip(links, spans, strict=True)),
                hovertemplate="%{customdata[1]}<br>评价数 %{y:,} 条<extra></extra>", secondary_y=False)
    fig.add_scatter(x=trend["period"], y=trend["bad_rate"], name="差评率", mode="lines+markers",
                    line={"color": RED, "width": 3}, marker={"size": 7},
                    customdata=list(zip(links, spans, trend["bad"], strict=True)),
                    hovertemplate="%{customdata[1]}<br>差评率 %{y:.4f}%<br>差评 %{customdata[2]:,} 条"
                                  "<extra></extra>", secondary_y=True)
    marked = trend[trend["anomaly"].notna()]
    if not marked.empty:
        idx = list(marked.index)
        fig.add_scatter(x=marked["period"], y=marked["bad_rate"], name="异常点", mode="markers",
                        marker={"size": 20, "symbol": "circle-open", "color": "#000000", "line": {"width": 3}},
                        customdata=[[links[i], spans[i], safe(marked.at[i, "reason"])] for i in idx],
                        hovertemplate="%{customdata[1]}<br><b>异常</b>：%{customdata[2]}<extra></extra>",
                        secondary_y=True)
    _period_shade(fig, trend, period, grain)
    _layout(fig, f"评价数与差评率趋势（{GRAIN_NAMES[grain]}，圆圈为异常点）", height=440)
    fig.update_xaxes(tickformat=TICKS[grain], showgrid=False, ticks="outside")
    fig.update_yaxes(title_text="评价数（条）", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="差评率（%）", rangemode="tozero", showgrid=False, tickformat=".2f", ticksuffix="%",
                     secondary_y=True)
    return fig


def trend_satisfaction(trend: pd.DataFrame, grain: str, period: tuple[date, date] | None = None) -> go.Figure:
    """好评率 (left axis, %) and 整体平均分 (right axis, 10 points) per bucket."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    spans = [_span(r) for r in trend.itertuples()]
    custom = list(zip(_links(trend), spans, strict=True))
    fig.add_scatter(x=trend["period"], y=trend["good_rate"], name="好评率（%）", mode="lines+markers",
                    line={"color": GREEN, "width": 3}, marker={"size": 7}, customdata=custom,
                    hovertemplate="%{customdata[1]}<br>好评率 %{y:.2f}%<extra></extra>", secondary_y=False)
    fig.add_scatter(x=trend["period"], y=trend["avg_score_10"], name="整体平均分（10分制）", mode="lines+markers",
                    line={"color": BLUE, "width": 3, "dash": "dot"}, marker={"size": 7}, customdata=custom,
                    hovertemplate="%{customdata[1]}<br>整体平均分 %{y:.2f}<extra></extra>", secondary_y=True)
    _period_shade(fig, trend, period, grain)
    _layout(fig, f"满意度趋势（{GRAIN_NAMES[grain]}）", height=400)
    fig.update_xaxes(tickformat=TICKS[grain], showgrid=False, ticks="outside")
    fig.update_yaxes(title_text="好评率（%）", tickformat=".1f", ticksuffix="%", secondary_y=False)
    fig.update_yaxes(title_text="整体平均分", showgrid=False, tickformat=".2f", secondary_y=True)
    return fig


def channel_mix(channels: pd.DataFrame) -> go.Figure:
    """Each channel's share of 评价数 (left) and its 差评率 (right), largest channel on top."""
    c = channels.iloc[::-1]
    names = [safe(n, LABEL_CHARS) for n in c["channel_name"]]
    custom = list(zip(_links(c), c["total"], c["bad"], strict=True))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("评价数占比（%）", "差评率（%）"))
    fig.add_bar(y=names, x=c["share"], orientation="h", marker_color=BLUE, name="评价数占比",
                text=[f"{v:.1f}%" for v in c["share"].fillna(0)], textposition="auto", customdata=custom,
                hovertemplate="%{y}<br>评价数 %{customdata[1]:,} 条，占 %{x:.2f}%<extra></extra>", row=1, col=1)
    fig.add_bar(y=names, x=c["bad_rate"], orientation="h", marker_color=RED, name="差评率",
                text=[f"{v:.2f}%" for v in c["bad_rate"].fillna(0)], textposition="outside", cliponaxis=False,
                customdata=custom,
                hovertemplate="%{y}<br>差评率 %{x:.4f}%（差评 %{customdata[2]:,} 条）<extra></extra>", row=1, col=2)
    _layout(fig, "渠道构成与各渠道差评率", height=max(300, 52 * len(c) + 140))
    fig.update_layout(showlegend=False)
    fig.update_annotations(font_size=17)
    fig.update_xaxes(rangemode="tozero", ticksuffix="%")
    top = float(c["bad_rate"].max()) if len(c) and pd.notna(c["bad_rate"].max()) else 0.0
    fig.update_xaxes(range=[0, max(top, 0.01) * 1.35], row=1, col=2)  # room for the labels outside the bars
    return fig


def level_split(levels: pd.DataFrame) -> go.Figure:
    """Ratings per level: 主动评价 coloured by level, 系统默认 stacked in grey; totals printed above the bars."""
    fig = go.Figure()
    links = _links(levels)
    fig.add_bar(x=levels["level_name"], y=levels["active"], name="主动评价",
                marker_color=[LEVEL_COLOURS[int(v)] for v in levels["level"]], customdata=links,
                hovertemplate="%{x}<br>主动评价 %{y:,} 条<extra></extra>")
    if int(levels["default"].sum()):
        fig.add_bar(x=levels["level_name"], y=levels["default"], name="系统默认评价（灰色）", marker_color=GREY,
                    customdata=links, hovertemplate="%{x}<br>系统默认评价 %{y:,} 条<extra></extra>")
    totals = levels["active"] + levels["default"]
    fig.add_scatter(x=levels["level_name"], y=totals, mode="text", text=[f"{int(v):,}" for v in totals],
                    textposition="top center", showlegend=False, hoverinfo="skip")
    _layout(fig, "五级评价分布（主动评价与系统默认）", height=420)
    fig.update_layout(barmode="stack", legend={"y": -0.12, "yanchor": "top", "x": 0.5, "xanchor": "center"},
                      margin={"b": 90})
    fig.update_yaxes(range=[0, max(1, int(totals.max())) * 1.18], title_text="评价数（条）")
    return fig


def categories_bar(categories: pd.DataFrame) -> go.Figure:
    """Complaints per category, 差评 / 隐性投诉 / 留言 stacked, largest on top."""
    t = categories.iloc[::-1]
    names = [safe(n, LABEL_CHARS) for n in t["name"]]
    custom = list(zip(_links(t), t["total"], t["share"], strict=True))
    fig = go.Figure()
    for col, name, colour in (("bad", "差评", RED), ("hidden", "隐性投诉", AMBER), ("messages", "留言", BLUE)):
        fig.add_bar(y=names, x=t[col], orientation="h", name=name, marker_color=colour, customdata=custom,
                    hovertemplate="%{y}<br>" + name + " %{x:,} 条<br>合计 %{customdata[1]:,} 条，"
                                  "占 %{customdata[2]:.1f}%<extra></extra>")
    _layout(fig, "投诉问题分类", height=max(300, 40 * len(t) + 140))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="条数", rangemode="tozero")
    return fig


def top_services(services: pd.DataFrame) -> go.Figure:
    """The services with most 差评, most on top; hover: 差评率, 评价数 and last period's 差评."""
    t = services.reset_index(drop=True)
    names = [f"{i + 1}. {safe(n, LABEL_CHARS)}" for i, n in enumerate(t["service_name"])]
    custom = [[link, safe(n), total, rate, prev] for link, n, total, rate, prev in
              zip(_links(t), t["service_name"], t["total"], t["bad_rate"].fillna(0), t["bad_prev"], strict=True)]
    fig = go.Figure()
    fig.add_bar(y=names[::-1], x=t["bad"][::-1], orientation="h", marker_color=RED, name="差评数",
                text=[f"{int(v):,}" for v in t["bad"][::-1]], textposition="auto", customdata=custom[::-1],
                hovertemplate="%{customdata[1]}<br>差评 %{x:,} 条（上期 %{customdata[4]:,} 条）<br>"
                              "评价数 %{customdata[2]:,}，差评率 %{customdata[3]:.4f}%<extra></extra>")
    _layout(fig, "差评最多的事项", height=max(300, 44 * len(t) + 140))
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title_text="差评数（条）", rangemode="tozero")
    return fig
