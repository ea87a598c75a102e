"""How bulletin figures are written in Chinese text: one set of rules for sentences and every renderer."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from feedback.stats import kpi


def missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _digits(v: float) -> int:
    """Two decimals, four for small non-zero values (差评率 is often a few hundredths of a percent)."""
    return 4 if 0 < abs(v) < 0.1 else 2


def rate(v: Any) -> str:
    """12.3456 → '12.35%'; 0.0123 → '0.0123%'."""
    return "—" if missing(v) else f"{v:.{_digits(v)}f}%"


def number(v: Any, digits: int = 2) -> str:
    return "—" if missing(v) else f"{v:.{digits}f}"


def count(v: Any) -> str:
    return "—" if missing(v) else f"{int(v):,}"


def value(key: str, v: Any) -> str:
    """A headline KPI as shown: rates in %, 平均分 with two decimals, counts with thousands separators."""
    if key in kpi.RATE_KEYS:
        return rate(v)
    if key in kpi.SCORE_KEYS:
        return number(v)
    return count(v)


def change(key: str, v: Any) -> str:
    """A 环比 / 同比 change: '+0.12个百分点' for rates, '+0.30分' for 平均分, '+4.2%' for counts; a change that
    rounds to zero is written without a sign ('0.00分', never '-0.00分')."""
    if missing(v):
        return "—"
    digits, unit = ((_digits(v), "个百分点") if key in kpi.RATE_KEYS else (2, "分") if key in kpi.SCORE_KEYS
                    else (1, "%"))
    if round(v, digits) == 0:
        return f"{0:.{digits}f}{unit}"
    return f"{v:+.{digits}f}{unit}"


def trend(key: str, v: Any) -> str:
    """A change in words: '上升0.12个百分点', '下降3.1%', '持平' (when it rounds to zero)."""
    if missing(v):
        return "无可比数据"
    text = change(key, abs(v))
    if not text.startswith("+"):
        return "持平"
    return ("上升" if v > 0 else "下降") + text[1:]


def joined(items: list[str], limit: int = 3) -> str:
    items = [i for i in items if i][:limit]
    return "、".join(items)
