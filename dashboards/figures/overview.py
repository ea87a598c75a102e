"""Figures of the 总览 page: pure functions DataFrame -> figure spec, readable on a projector.

A spec is the plain dict plotly.js draws (``{"data": [...], "layout": {...}}``), built directly rather than
through ``plotly.graph_objects``: validating every property there cost more than reading the rollups on a cold
request. The specs are what ``go.Figure`` would produce for the same calls (make_subplots' axes and domains,
``add_vrect``'s shape and annotation, Plotly's default template), and a test validates each with
``plotly.graph_objects.Figure(spec)``.

Every clickable mark carries its drill-down URL (the frame's ``link`` column) in ``customdata``; static/app.js
opens it on click. Names from the data (services, departments, channels, categories) are untrusted: Plotly renders
a subset of HTML in hover text and tick labels, so they pass through ``html.escape`` here."""

from __future__ import annotations

import html
import math
from datetime import date
from typing import Any

import pandas as pd

from dashboards.figures.style import (
    FONT,
    LEVEL_COLOURS,
    log_count_axis,
    nice_axis,
    plotly_template,
    span_axis,
)

BLUE, RED, GREEN, AMBER, GREY = "#2f5d8a", "#b3261e", "#1a7f37", "#c98a00", "#aab2bd"
TICKS = {"day": "%m-%d", "week": "%m-%d", "month": "%Y-%m"}
GRAIN_NAMES = {"day": "按日", "week": "按周", "month": "按月"}
LABEL_CHARS = 14
GRID = {"gridcolor": "#e3e6ea", "automargin": True}

Spec = dict[str, Any]


def safe(text: object, limit: int | None = None) -> str:
    """Untrusted text for a Plotly label: cut to ``limit`` characters (…), then HTML-escaped."""
    s = "—" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    if limit and len(s) > limit:
        s = s[:limit] + "…"
    return html.escape(s, quote=True)


def _plain(v: Any) -> Any:
    """One value as JSON takes it: None for NaN / NA, Python scalars for numpy ones (dates stay dates)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, pd.Timestamp):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def vals(values: Any) -> list:
    """A column (or any sequence) as a plain list for a spec."""
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [_plain(v) for v in items]


def _layout(title: str, height: int, axes: dict[str, dict], **extra: Any) -> Spec:
    """The shared look (what the old ``update_layout`` / ``update_*axes`` calls set) over the given axes."""
    layout: Spec = {
        "template": plotly_template(),
        "title": {"text": title, "font": {"size": 22}, "x": 0.01, "xanchor": "left"},
        "font": {"family": FONT, "size": 17, "color": "#1b1f24"}, "height": height,
        "margin": {"l": 20, "r": 20, "t": 70, "b": 50}, "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "hoverlabel": {"font": {"size": 16}},
    }
    for name, props in axes.items():
        layout[name] = {**GRID, **props}
    layout.update(extra)
    return layout


def _links(frame: pd.DataFrame, column: str = "link") -> list:
    """A frame's drill-down URLs (``column``: link, or bad_link for the 差评 behind a rate; a frame without that
    column falls back to its ``link``)."""
    for col in (column, "link"):
        if col in frame:
            return vals(frame[col])
    return [None] * len(frame)


def _small(frame: pd.DataFrame) -> list[bool]:
    """The 样本少 flags of the rows (buckets under ``[kpi] chart_min_volume``); none without the column."""
    return [bool(v) for v in vals(frame["small"])] if "small" in frame else [False] * len(frame)


def _rate_top(rates: list, small: list[bool]) -> float:
    """The largest rate of the buckets with enough ratings: what a rate axis is scaled to (样本少 left out)."""
    return max((float(v) for v, sm in zip(rates, small, strict=True)
                if not sm and v is not None and math.isfinite(float(v))), default=0.0)


def _day(value: Any) -> date:
    """A bucket's date (a date as it is; a timestamp or an ISO string as its day)."""
    return value if type(value) is date else pd.Timestamp(value).date()


def _span(start: Any, end: Any) -> str:
    s, e = _day(start), _day(end)
    return s.isoformat() if s == e else f"{s.isoformat()} 至 {e.isoformat()}"


def _spans(trend: pd.DataFrame) -> list[str]:
    return [_span(s, e) for s, e in zip(trend["period"], trend["period_end"], strict=True)]


def _period_shade(layout: Spec, trend: pd.DataFrame, period: tuple[date, date] | None) -> list[dict]:
    """``add_vrect``'s shape over the buckets of the period, when the window reaches back further, and the legend
    entry that names it (a label inside the plot ran over the lines near its top): the traces to add."""
    if period is None or trend.empty or pd.Timestamp(trend["period"].iloc[0]).date() >= period[0]:
        return []  # the whole window is the period: nothing to tell apart
    first = trend["period"].iloc[next(i for i, e in enumerate(trend["period_end"].tolist()) if _day(e) >= period[0])]
    x0, x1 = _plain(first), _plain(trend["period"].iloc[-1])
    layout["shapes"] = [{"fillcolor": SHADE, "line": {"width": 0}, "opacity": 0.07, "type": "rect",
                         "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}]
    return [{"type": "scatter", "x": [None], "y": [None], "name": "所选时段", "mode": "markers",
             "marker": {"symbol": "square", "size": 15, "color": SHADE, "opacity": 0.2},
             "hoverinfo": "skip", "xaxis": "x", "yaxis": "y"}]


SHADE = "#2f5d8a"  # the selected period's band on a trend


LEGEND_BELOW = {"orientation": "h", "yref": "container", "y": 0.01, "yanchor": "bottom", "x": 0.5, "xanchor": "center"}


def _secondary_axes(grain: str, left: dict, right: dict) -> dict[str, dict]:
    """make_subplots(specs=[[{"secondary_y": True}]]): one x axis, y on the left and y2 overlaying it."""
    return {
        "xaxis": {"anchor": "y", "domain": [0.0, 0.94], "tickformat": TICKS[grain], "showgrid": False,
                  "ticks": "outside"},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0], **left},
        "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right", **right},
    }


def trend_volume(trend: pd.DataFrame, grain: str, period: tuple[date, date] | None = None) -> Spec:
    """评价数 (bars, left axis) and 差评率 (line, right axis) per bucket; anomalies as large rings with the reason."""
    spans = _spans(trend)
    links, bad_links = _links(trend), _links(trend, "bad_link")
    x = vals(trend["period"])
    rates, small, totals, bads = vals(trend["bad_rate"]), _small(trend), vals(trend["total"]), vals(trend["bad"])
    rate_axis = nice_axis(_rate_top(rates, small))
    top = rate_axis["range"][1]
    # the 差评率 line joins the buckets with enough ratings; a 样本少 bucket is a grey mark held inside the axis
    # (its hover gives the real rate and n), so one 差评 in five ratings cannot stretch the axis
    data = [
        {"type": "bar", "x": x, "y": totals, "name": "评价数", "marker": {"color": "#9fb8d3"},
         "customdata": [list(p) for p in zip(links, spans, strict=True)],
         "hovertemplate": "%{customdata[1]}<br>评价数 %{y:,} 条<extra></extra>", "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "x": x, "y": [None if sm else v for v, sm in zip(rates, small, strict=True)],
         "name": "差评率", "mode": "lines+markers", "line": {"color": RED, "width": 3}, "marker": {"size": 7},
         "connectgaps": True,
         "customdata": [list(p) for p in zip(bad_links, spans, bads, strict=True)],
         "hovertemplate": "%{customdata[1]}<br>差评率 %{y:.4f}%<br>差评 %{customdata[2]:,} 条（点击查看差评）"
                          "<extra></extra>",
         "xaxis": "x", "yaxis": "y2"},
    ]
    few = [i for i, sm in enumerate(small) if sm and rates[i] is not None]
    if few:
        data.append({"type": "scatter", "x": [x[i] for i in few], "y": [min(float(rates[i]), top) for i in few],
                     "name": "样本少", "mode": "markers", "marker": {"size": 9, "color": GREY, "symbol": "circle"},
                     "customdata": [[bad_links[i], spans[i], rates[i], totals[i], bads[i]] for i in few],
                     "hovertemplate": "%{customdata[1]}<br>样本少：评价数 %{customdata[3]:,} 条，差评 %{customdata[4]:,} 条"
                                      "<br>差评率 %{customdata[2]:.2f}%（不参与坐标轴范围）<extra></extra>",
                     "xaxis": "x", "yaxis": "y2"})
    marked = [i for i, a in enumerate(vals(trend["anomaly"])) if a is not None]
    if marked:
        reasons = vals(trend["reason"])
        data.append({"type": "scatter", "x": [x[i] for i in marked],
                     "y": [None if rates[i] is None else min(float(rates[i]), top) for i in marked],
                     "name": "异常点", "mode": "markers",
                     "marker": {"size": 20, "symbol": "circle-open", "color": "#000000", "line": {"width": 3}},
                     "customdata": [[bad_links[i], spans[i], safe(reasons[i])] for i in marked],
                     "hovertemplate": "%{customdata[1]}<br><b>异常</b>：%{customdata[2]}<extra></extra>",
                     "xaxis": "x", "yaxis": "y2"})
    axes = _secondary_axes(grain, {"title": {"text": "评价数（条）"}, **nice_axis(max(totals, default=0), integer=True)},
                           {"title": {"text": "差评率（%）"}, "showgrid": False, "tickformat": ".2f",
                            "ticksuffix": "%", **rate_axis})
    # the legend goes under the axis: above it, it ran into the title
    layout = _layout(f"评价数与差评率趋势（{GRAIN_NAMES[grain]}）", 470, axes, legend=LEGEND_BELOW)
    layout["margin"] = {**layout["margin"], "b": 90}
    return {"data": data + _period_shade(layout, trend, period), "layout": layout}


def trend_satisfaction(trend: pd.DataFrame, grain: str, period: tuple[date, date] | None = None) -> Spec:
    """好评率 (left axis, %) and 整体平均分 (right axis, 10 points) per bucket; a 样本少 bucket is a grey mark held
    inside the range of the others (hover: its real figures), so one rating cannot pull the axes."""
    spans, links, small = _spans(trend), _links(trend), _small(trend)
    custom = [list(p) for p in zip(links, spans, strict=True)]
    x = vals(trend["period"])
    good, score = vals(trend["good_rate"]), vals(trend["avg_score_10"])
    data = [
        {"type": "scatter", "x": x, "y": [None if sm else v for v, sm in zip(good, small, strict=True)],
         "name": "好评率（%）", "mode": "lines+markers", "connectgaps": True,
         "line": {"color": GREEN, "width": 3}, "marker": {"size": 7}, "customdata": custom,
         "hovertemplate": "%{customdata[1]}<br>好评率 %{y:.2f}%<extra></extra>", "xaxis": "x", "yaxis": "y"},
        {"type": "scatter", "x": x, "y": [None if sm else v for v, sm in zip(score, small, strict=True)],
         "name": "整体平均分（10分制）", "connectgaps": True,
         "mode": "lines+markers", "line": {"color": BLUE, "width": 3, "dash": "dot"}, "marker": {"size": 7},
         "customdata": custom, "hovertemplate": "%{customdata[1]}<br>整体平均分 %{y:.2f}<extra></extra>",
         "xaxis": "x", "yaxis": "y2"},
    ]
    few = [i for i, sm in enumerate(small) if sm and good[i] is not None]
    kept = [float(v) for v, sm in zip(good, small, strict=True) if not sm and v is not None]
    if few:
        lo, hi = (min(kept), max(kept)) if kept else (0.0, 100.0)
        totals = vals(trend["total"])
        data.append({"type": "scatter", "x": [x[i] for i in few],
                     "y": [min(max(float(good[i]), lo), hi) for i in few], "name": "样本少", "mode": "markers",
                     "marker": {"size": 9, "color": GREY}, "xaxis": "x", "yaxis": "y",
                     "customdata": [[links[i], spans[i], good[i], totals[i]] for i in few],
                     "hovertemplate": "%{customdata[1]}<br>样本少：评价数 %{customdata[3]:,} 条<br>"
                                      "好评率 %{customdata[2]:.2f}%（不参与坐标轴范围）<extra></extra>"})
    scores = [float(v) for v, sm in zip(score, small, strict=True) if not sm and v is not None]
    axes = _secondary_axes(grain, {"title": {"text": "好评率（%）"}, "tickformat": ".1f", "ticksuffix": "%",
                                   **span_axis(min(kept, default=None), max(kept, default=None), upper=100)},
                           {"title": {"text": "整体平均分"}, "showgrid": False, "tickformat": ".2f",
                            **span_axis(min(scores, default=None), max(scores, default=None), upper=10)})
    layout = _layout(f"满意度趋势（{GRAIN_NAMES[grain]}）", 430, axes, legend=LEGEND_BELOW)
    layout["margin"] = {**layout["margin"], "b": 90}
    return {"data": data + _period_shade(layout, trend, period), "layout": layout}


def channel_mix(channels: pd.DataFrame) -> Spec:
    """Each channel's share of 评价数 (left) and its 差评率 (right), largest channel on top."""
    c = channels.iloc[::-1]
    names = [safe(n, LABEL_CHARS) for n in c["channel_name"]]
    custom = [list(p) for p in zip(_links(c), vals(c["total"]), vals(c["bad"]), strict=True)]
    share, rate, small = vals(c["share"]), vals(c["bad_rate"]), _small(c)
    # a 样本少 channel gets no bar (its rate stays off the axis), only a grey label; the hover has the figures
    bad_custom = [list(p) for p in zip(_links(c, "bad_link"), vals(c["total"]), vals(c["bad"]), rate, strict=True)]
    data = [
        {"type": "bar", "y": names, "x": share, "orientation": "h", "marker": {"color": BLUE}, "name": "评价数占比",
         "text": [f"{v or 0:.1f}%" for v in share], "textposition": "auto", "customdata": custom,
         "hovertemplate": "%{y}<br>评价数 %{customdata[1]:,} 条，占 %{x:.2f}%<extra></extra>",
         "xaxis": "x", "yaxis": "y"},
        {"type": "bar", "y": names, "x": [0 if sm else v for v, sm in zip(rate, small, strict=True)],
         "orientation": "h", "marker": {"color": [GREY if sm else RED for sm in small]}, "name": "差评率",
         "text": [f"样本少（{int(n or 0):,}条）" if sm else f"{v or 0:.2f}%"
                  for v, sm, n in zip(rate, small, vals(c["total"]), strict=True)],
         "textposition": "outside", "cliponaxis": False, "customdata": bad_custom,
         "hovertemplate": "%{y}<br>差评率 %{customdata[3]:.4f}%（差评 %{customdata[2]:,} 条，评价数 %{customdata[1]:,} 条）"
                          "<br>点击查看差评<extra></extra>",
         "xaxis": "x2", "yaxis": "y2"},
    ]
    top = _rate_top(rate, small)
    # make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=…)
    axes = {
        # no tick labels: every bar prints its value, and on a phone each panel is ~80 px wide, where the ticks
        # were turned on end under the bars
        "xaxis": {"anchor": "y", "domain": [0.0, 0.48], "rangemode": "tozero", "showticklabels": False},
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
        "xaxis2": {"anchor": "y2", "domain": [0.52, 1.0], "rangemode": "tozero", "showticklabels": False,
                   "range": [0, max(float(top), 0.01) * 1.6]},  # room for the labels outside the bars (a phone too)
        "yaxis2": {"anchor": "x2", "domain": [0.0, 1.0], "matches": "y", "showticklabels": False},
    }
    titles = [{"font": {"size": 17}, "showarrow": False, "text": text, "x": x, "xanchor": "center",
               "xref": "paper", "y": 1.0, "yanchor": "bottom", "yref": "paper"}
              # short heads (each bar's value says %): on a phone the two panels' heads are ~90 px apart
              for text, x in (("评价数占比", 0.24), ("差评率", 0.76))]
    layout = _layout("渠道构成与各渠道差评率", max(300, 52 * len(c) + 140), axes, showlegend=False,
                     annotations=titles)
    return {"data": data, "layout": layout}


def level_split(levels: pd.DataFrame) -> Spec:
    """Ratings per level: 主动评价 coloured by level, 系统默认 stacked in grey; totals printed above the bars."""
    links = _links(levels)
    x = vals(levels["level_name"])
    active, default = vals(levels["active"]), vals(levels["default"])
    data = [{"type": "bar", "x": x, "y": active, "name": "主动评价",
             "marker": {"color": [LEVEL_COLOURS[int(v)] for v in levels["level"]]}, "customdata": links,
             "hovertemplate": "%{x}<br>主动评价 %{y:,} 条<extra></extra>"}]
    if sum(default):
        data.append({"type": "bar", "x": x, "y": default, "name": "系统默认评价（灰色）", "marker": {"color": GREY},
                     "customdata": links, "hovertemplate": "%{x}<br>系统默认评价 %{y:,} 条<extra></extra>"})
    totals = [a + d for a, d in zip(active, default, strict=True)]
    data.append({"type": "scatter", "x": x, "y": totals, "mode": "text", "text": [f"{int(v):,}" for v in totals],
                 "textposition": "top center", "showlegend": False, "hoverinfo": "skip"})
    # the names in two lines of two or three characters (非常 / 满意): on a phone five bars leave ~60 px a name, and
    # Plotly turned the one-line names on end, cut off under the legend
    ticks = {"tickvals": x, "ticktext": [_two_lines(str(v)) for v in x], "tickangle": 0}
    axes = {"xaxis": ticks, "yaxis": {**log_count_axis(max(totals, default=0)),
                                      "title": {"text": "评价数（条，对数刻度）"}}}
    layout = _layout("五级评价分布", 440, axes, barmode="stack")  # the legend names 主动 and 系统默认
    layout["legend"] = {"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0.5, "xanchor": "center"}
    layout["margin"] = {**layout["margin"], "b": 110}
    return {"data": data, "layout": layout}


def _two_lines(name: str) -> str:
    """A level's name broken after its first two characters when it has four or more (非常<br>满意, 基本<br>满意,
    非常<br>不满意); 满意 and 不满意 stay on one line."""
    return f"{name[:2]}<br>{name[2:]}" if len(name) >= 4 else name


def categories_bar(categories: pd.DataFrame) -> Spec:
    """Complaints per category, 差评 / 隐性投诉 / 留言 stacked, largest on top (a kind that none of the categories
    holds gets no segment and no legend entry, except 差评)."""
    t = categories.iloc[::-1]
    names = [safe(n, LABEL_CHARS) for n in t["name"]]


    def custom(link: str) -> list:  # each segment opens what it counts (差评, 隐性投诉 or 留言 of the category)
        links = _links(t, link)
        return [list(p) for p in zip(links, vals(t["total"]), vals(t["share"]), strict=True)]

    data = [{"type": "bar", "y": names, "x": vals(t[col]), "orientation": "h", "name": name,
             "marker": {"color": colour}, "customdata": custom(link),
             "hovertemplate": "%{y}<br>" + name + " %{x:,} 条<br>合计 %{customdata[1]:,} 条，"
                              "占 %{customdata[2]:.1f}%<extra></extra>"}
            for col, name, colour, link in (("bad", "差评", RED, "bad_link"), ("hidden", "隐性投诉", AMBER, "hidden_link"),
                                            ("messages", "留言", BLUE, "messages_link"))
            if t[col].sum() > 0 or col == "bad"]  # no legend entry for a kind no category holds
    axes = {"xaxis": {"title": {"text": "条数"}, **nice_axis(t["total"].max() if len(t) else 0, integer=True)},
            "yaxis": {}}  # total: the stacked 差评 + 隐性投诉 + 留言
    return {"data": data, "layout": _layout("投诉问题分类", max(300, 40 * len(t) + 140), axes, barmode="stack")}


def top_services(services: pd.DataFrame) -> Spec:
    """The services with most 差评, most on top; hover: 差评率, 评价数 and last period's 差评."""
    t = services.reset_index(drop=True)
    service_names = vals(t["service_name"])
    names = [f"{i + 1}. {safe(n, LABEL_CHARS)}" for i, n in enumerate(service_names)]
    custom = [[link, safe(n), total, rate, prev] for link, n, total, rate, prev in
              zip(_links(t), service_names, vals(t["total"]), vals(t["bad_rate"].fillna(0)), vals(t["bad_prev"]),
                  strict=True)]
    bad = vals(t["bad"])
    data = [{"type": "bar", "y": names[::-1], "x": bad[::-1], "orientation": "h", "marker": {"color": RED},
             "name": "差评数", "text": [f"{int(v):,}" for v in bad[::-1]], "textposition": "auto",
             "customdata": custom[::-1],
             "hovertemplate": "%{customdata[1]}<br>差评 %{x:,} 条（上期 %{customdata[4]:,} 条）<br>"
                              "评价数 %{customdata[2]:,}，差评率 %{customdata[3]:.4f}%<extra></extra>"}]
    axes = {"xaxis": {"title": {"text": "差评数（条）"}, **nice_axis(max(bad, default=0), integer=True)},
            "yaxis": {}}
    return {"data": data, "layout": _layout("差评最多的事项", max(300, 44 * len(t) + 140), axes, showlegend=False)}
