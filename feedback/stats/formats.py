"""How KPI figures are written: values and 环比 / 同比 changes as text (by the KPI spec's kinds), and the
JSON-ready form of values, for the CLI, the 总览 screen, the bulletin's sentences and every renderer.

Two styles, one set of rules:
- ``text`` (the default; the bulletin, the 总览 and the report tables): rates with two decimals, four for small
  non-zero values (差评率 is often a few hundredths of a percent); changes in percentage points with two decimals
  at most ('+0.03个百分点', never '+0.0252个百分点': it wrapped on the 总览 cards); a change that rounds to zero is
  written without a sign ('0.00分', never '-0.00分'); counts as whole numbers with thousands separators.
- ``fixed`` (the `haocha kpi` table): rates and changes always with two decimals and a sign.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from feedback.stats.spec import BETTER, CHANGE_KINDS, CHANGE_UNITS, kind_of

TEXT, FIXED = "text", "fixed"
MISSING = "—"


def missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


_FIXED_DIGITS: ContextVar[int | None] = ContextVar("haocha_fixed_digits", default=None)


@contextmanager
def fixed_decimals(digits: int) -> Iterator[None]:
    """Within the block every rate, change, score and ratio is written with ``digits`` decimals: the bulletin's
    one decimal rule ([bulletin] decimals), so a column never mixes 0.0875 and 0.10."""
    token = _FIXED_DIGITS.set(digits)
    try:
        yield
    finally:
        _FIXED_DIGITS.reset(token)


def fixed_digits() -> int | None:
    """The decimals of the enclosing ``fixed_decimals`` block (None outside one)."""
    return _FIXED_DIGITS.get()


def _digits(v: float) -> int:
    """Two decimals, four for small non-zero values (差评率 is often a few hundredths of a percent); the
    enclosing fixed_decimals rule when there is one."""
    fixed = _FIXED_DIGITS.get()
    if fixed is not None:
        return fixed
    return 4 if 0 < abs(v) < 0.1 else 2


def rate(v: Any) -> str:
    """12.3456 → '12.35%'; 0.0123 → '0.0123%'."""
    return MISSING if missing(v) else f"{v:.{_digits(v)}f}%"


def number(v: Any, digits: int = 2) -> str:
    digits = _FIXED_DIGITS.get() if _FIXED_DIGITS.get() is not None else digits
    return MISSING if missing(v) else f"{v:.{digits}f}"


def count(v: Any) -> str:
    return MISSING if missing(v) else f"{int(v):,}"


def value_text(kind: str, v: Any, *, style: str = TEXT, unit: bool = True) -> str:
    """A value of a KPI kind: rates in % (``unit=False``: without the sign), scores with two decimals, counts
    with thousands separators."""
    if missing(v):
        return MISSING
    if kind == "rate":
        digits = 2 if style == FIXED else _digits(v)
        return f"{v:.{digits}f}" + ("%" if unit else "")
    if kind == "score":
        return f"{v:.{_digits(1) if _FIXED_DIGITS.get() is not None else 2}f}"
    return f"{v:,}" if style == FIXED else f"{int(v):,}"


def change_text(change: str, v: Any, *, style: str = TEXT, unit: bool = True) -> str:
    """A change of a change kind (spec.CHANGE_KINDS): pp '+0.12个百分点', points '+0.30分', pct '+4.2%';
    ``unit=False`` leaves out 个百分点 / 分 (a table whose header names it)."""
    if missing(v):
        return MISSING
    fixed = _FIXED_DIGITS.get()
    digits = {"pp": 2 if fixed is None else fixed, "points": 2 if fixed is None else fixed,
              "pct": 1 if fixed is None else fixed}[change]
    suffix = CHANGE_UNITS[change] if unit else ""
    if style != FIXED and round(v, digits) == 0:
        return f"{0:.{digits}f}{suffix}"
    return f"{v:+.{digits}f}{suffix}"


def value(key: str, v: Any, *, style: str = TEXT) -> str:
    """A headline KPI as shown: rates in %, 平均分 with two decimals, counts with thousands separators."""
    return value_text(kind_of(key), v, style=style)


def change(key: str, v: Any, *, style: str = TEXT) -> str:
    """A 环比 / 同比 change of ``key``: '+0.12个百分点' for rates, '+0.30分' for 平均分, '+4.2%' for counts."""
    return change_text(CHANGE_KINDS[kind_of(key)], v, style=style)


def direction(key: str, v: Any) -> str | None:
    """Whether a 环比 / 同比 change of ``key`` is "better", "worse", "flat" (rounds to zero as written) or
    "up" / "down" (a KPI that is neither better nor worse higher, such as 评价数); None when missing. For
    差评率 up is worse (spec.BETTER)."""
    if missing(v):
        return None
    if not change(key, abs(v)).startswith("+"):
        return "flat"
    better = BETTER.get(key)
    if better is None:
        return "up" if v > 0 else "down"
    return "better" if (v > 0) == (better == "up") else "worse"


def arrow(key: str, v: Any) -> str:
    """▲ for a rise, ▼ for a fall, ＝ when it rounds to zero, '' when missing (the colour says better / worse)."""
    d = direction(key, v)
    if d is None:
        return ""
    if d == "flat":
        return "＝"
    return "▲" if v > 0 else "▼"


def trend(key: str, v: Any) -> str:
    """A change in words: '上升0.12个百分点', '下降3.1%', '持平' (when it rounds to zero)."""
    if missing(v):
        return "无可比数据"
    text = change(key, abs(v))
    if not text.startswith("+"):
        return "持平"
    return ("上升" if v > 0 else "下降") + text[1:]


def plain(value: Any) -> Any:
    """The JSON-ready form of a value: frames as lists of records, dataclasses as dicts, NaN / NA as None,
    dates as ISO strings, numpy scalars as Python ones."""
    if isinstance(value, pd.DataFrame):
        return frame_records(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def plain_values(values: list[Any]) -> list[Any]:
    """``[plain(v) for v in values]``, passing strings, ints, bools and non-NaN floats through as they are (what
    ``plain`` returns for them) without its type checks: a table's cells are mostly these."""
    return [v if (t := type(v)) is str or t is int or t is bool or (t is float and v == v) else plain(v)
            for v in values]


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``plain`` of a frame: its rows as dicts of JSON-ready values, from one conversion of the frame to Python
    objects (``to_numpy(dtype=object)`` gives the scalars ``to_dict(orient="records")`` gives, at a fraction of
    its cost: with pandas 3 every look-up of a column by its name costs more than its values; a test compares
    them). Frames with repeated column names keep the row-wise form."""
    if frame.columns.has_duplicates:
        return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    names = frame.columns.tolist()
    return [dict(zip(names, plain_values(row), strict=True)) for row in frame.to_numpy(dtype=object).tolist()]
