"""Charts of the DOCX bulletin as PNG images (matplotlib, Agg canvas, no pyplot state), with a CJK font when one
is installed (Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei); without one the charts are
still drawn, with the default font."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dashboards.figures.style import LEVEL_COLOURS

RED, GREY, BLUE, GOLD = "#b3261e", "#aab2bd", "#2f5d8a", "#d4a017"
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "C:/Windows/Fonts/msyh.ttc",
              "C:/Windows/Fonts/simhei.ttf")
FONT_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "Microsoft YaHei", "SimHei", "PingFang SC", "Noto Serif CJK SC", "Noto Serif CJK JP")
WIDTH_IN, DPI = 6.4, 144


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font (registering a known file if needed), or None."""
    for path in FONT_FILES:
        if Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in FONT_NAMES if name in known), None)


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e3e6ea", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig: Figure, labels: list[str] | None = None, label_pt: float = 8, top: float = 0.4) -> bytes:
    """PNG bytes; margins from the longest category label (cheaper than tight_layout, same look)."""
    longest = max((_width(str(t)) for t in labels), default=0) if labels else 3
    left = min(0.45, (longest * label_pt / 72 + 0.25) / WIDTH_IN)
    height = fig.get_figheight()
    fig.subplots_adjust(left=left, right=0.97, top=1 - top / height, bottom=0.45 / height)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def _width(text: str) -> float:
    """Width of a label in em: CJK characters 1, others about half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)


def _with_font(draw: Callable[..., bytes]) -> Callable[..., bytes]:
    """Draw under a CJK font (when one is installed) and with ASCII minus signs."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> bytes:
        name = cjk_font()
        rc = {"axes.unicode_minus": False}
        if name is not None:
            rc["font.family"] = [name, "DejaVu Sans"]
        with rc_context(rc):
            return draw(*args, **kwargs)

    return wrapper


@_with_font
def level_chart(levels: pd.DataFrame) -> bytes:
    """Ratings per level: 主动评价 coloured by level, 系统默认 stacked in grey, totals on the bars."""
    fig, ax = _figure(2.6)
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", color="#e3e6ea", linewidth=0.6)
    x = list(levels["name"])
    ax.bar(x, levels["active"], color=[LEVEL_COLOURS[int(v)] for v in levels["level"]], label="主动评价")
    ax.bar(x, levels["default"], bottom=levels["active"], color=GREY, label="系统默认评价")
    top = int(levels["total"].max()) if len(levels) else 0
    if top > 0:  # a log axis, as on 总览 (style.log_count_axis); the counts are printed above the bars
        ax.set_yscale("log")
        ax.set_ylim(0.8, top * 6)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))  # 1,000 rather than 10³
        ax.set_ylabel("评价数（对数刻度）", fontsize=8)
    else:  # a month without ratings: a log axis would have nothing to scale
        ax.set_ylim(0, 1)
        ax.set_yticks([0])
        ax.set_ylabel("评价数", fontsize=8)
    for i, v in enumerate(levels["total"]):
        ax.text(i, max(1, v) * 1.15 if top > 0 else 0.02, f"{int(v):,}", ha="center", va="bottom", fontsize=8)
    ax.set_title("各满意度等级评价数", fontsize=10, y=1.0)
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(labelsize=8)
    return _png(fig, labels=["0000000"], top=0.35)


@_with_font
def channel_chart(channels: pd.DataFrame) -> bytes:
    """评价数 by channel (bars) and 差评率 (diamonds, top axis)."""
    c = channels.iloc[::-1]
    fig, ax = _figure(0.32 * len(c) + 1.1)
    ax.barh(list(c["channel_name"].fillna("其他")), c["total"], color=BLUE, label="评价数")
    ax.set_xlabel("评价数", fontsize=8)
    ax2 = ax.twiny()
    ax2.plot(c["bad_rate"].fillna(0), range(len(c)), "D", color=RED, markersize=4, label="差评率(%)")
    ax2.set_xlabel("差评率(%)", fontsize=8, color=RED)
    ax2.set_xlim(left=0, right=max(0.01, float(c["bad_rate"].fillna(0).max())) * 1.25)
    for a in (ax, ax2):
        a.tick_params(labelsize=8)
    ax.set_title("分渠道评价数与差评率", fontsize=10, pad=24)
    return _png(fig, labels=list(c["channel_name"].fillna("其他")), top=0.95)


@_with_font
def ranking_chart(table: pd.DataFrame, title: str) -> bytes:
    """差评率 observed against case-mix adjusted for every ranked unit, best-ranked on top."""
    t = table[table["eligible"].astype(bool)].iloc[::-1]
    fig, ax = _figure(0.26 * len(t) + 1.0)
    y = list(range(len(t)))
    ax.barh([v + 0.2 for v in y], t["bad_rate"].fillna(0), height=0.4, color=RED, label="差评率")
    ax.barh([v - 0.2 for v in y], t["adjusted_bad_rate"].fillna(0), height=0.4, color=GREY, label="调整后差评率")
    ax.set_yticks(y, list(t["name"]))
    ax.set_xlabel("%", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_title(title, fontsize=10, y=1.0)
    return _png(fig, labels=list(t["name"]), label_pt=7)


@_with_font
def category_chart(table: pd.DataFrame) -> bytes:
    """Complaints per category: 差评, 隐性投诉 and 留言 stacked, largest on top."""
    t = table.iloc[::-1]
    fig, ax = _figure(0.3 * len(t) + 1.0)
    left = pd.Series(0, index=t.index, dtype="float64")
    for col, name, colour in (("bad", "差评", RED), ("hidden", "隐性投诉", GOLD), ("messages", "留言", BLUE)):
        if col != "bad" and not t[col].sum():  # no legend entry for a kind no category holds
            continue
        ax.barh(list(t["name"]), t[col], left=left, color=colour, label=name)
        left = left + t[col]
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_title("群众反映问题分类（不含其他问题）", fontsize=10, y=1.0)
    return _png(fig, labels=list(t["name"]))
