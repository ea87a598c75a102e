"""模型 screen figures: category mix by month and its drift (pure functions DataFrame -> go.Figure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures.style import _layout

PALETTE = ["#1f5fa8", "#d4570f", "#1a7f37", "#7a3ea8", "#9a8a00", "#b3261e", "#0f7b8a", "#c2185b", "#5d6d7e",
           "#8d6e63", "#e6a100", "#455a64", "#aab2bd"]


def category_mix(shares: pd.DataFrame, names: dict[str, str], drift: pd.DataFrame | None = None) -> go.Figure:
    """Stacked shares of each complaint category per month (other last, in grey); with ``drift`` (``drift``'s
    frame: n and small per month) a month of few complaints is drawn faint and its hover says how few."""
    fig = go.Figure()
    cols = sorted(shares.columns, key=lambda c: (c == "other", -float(shares[c].sum()), c))
    months = list(shares.index)
    info = drift.set_index("month").reindex(months) if drift is not None else None
    small = info["small"].fillna(False).astype(bool).tolist() if info is not None else [False] * len(months)
    notes = [f"<br>样本少：已分类投诉 {int(info['n'][m])} 条，仅供参考" if sm else ""
             for m, sm in zip(months, small, strict=True)]
    for i, c in enumerate(cols):
        colour = "#aab2bd" if c == "other" else PALETTE[i % (len(PALETTE) - 1)]
        fig.add_bar(x=months, y=shares[c] * 100, name=names.get(c, c), marker_color=colour,
                    marker_opacity=[0.35 if sm else 1.0 for sm in small], customdata=notes,
                    hovertemplate="%{x}<br>" + names.get(c, c) + " %{y:.1f}%%{customdata}<extra></extra>")
    _layout(fig, "各月好差评投诉类别构成（%，不含12345留言）")
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    fig.update_layout(height=480, legend={"orientation": "h", "y": -0.25, "font": {"size": 14}})
    return fig


def drift_lines(drift: pd.DataFrame) -> go.Figure:
    """Month-on-month drift of the category mix and the share of "other" (both in %); a month with few categorised
    complaints (``small``) is a grey mark off both lines (hover: its figures and n), as on the 总览."""
    fig = go.Figure()
    small = drift["small"].astype(bool)
    kept = drift[~small]
    d = kept.dropna(subset=["drift"])
    fig.add_scatter(x=d["month"], y=d["drift"] * 100, mode="lines+markers", name="类别构成漂移（对前3个月）",
                    line={"color": "#1f5fa8", "width": 3},
                    hovertemplate="%{x}<br>漂移 %{y:.1f}%<extra></extra>")
    fig.add_scatter(x=kept["month"], y=kept["other_share"] * 100, mode="lines+markers", name="“其他”占比",
                    line={"color": "#8a8f98", "width": 3, "dash": "dot"},
                    hovertemplate="%{x}<br>其他 %{y:.1f}%<extra></extra>")
    few = drift[small]
    if len(few):
        for column, label in (("drift", "漂移"), ("other_share", "其他")):
            part = few.dropna(subset=[column])
            fig.add_scatter(x=part["month"], y=part[column] * 100, mode="markers", name="样本少",
                            marker={"color": "#c3c8cf", "size": 9}, showlegend=column == "drift",
                            customdata=part["n"], hovertemplate="%{x}<br>样本少：已分类投诉 %{customdata} 条<br>"
                                                                + label + " %{y:.1f}%（仅供参考）<extra></extra>")
    _layout(fig, "类别构成漂移与“其他”占比（%）")
    fig.update_yaxes(ticksuffix="%")
    return fig
