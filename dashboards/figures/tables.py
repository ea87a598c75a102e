"""The 总览's ranking tables as text: pure functions from a ranking frame to rows of ready cells.

Each cell is written once per column here (``feedback.stats.formats``), and the template only places the strings:
Jinja called a format helper per cell (eleven a row in the 红榜 / 黑榜, fourteen in the full unit tables, hundreds
of rows a page), 15 % of a cold 总览 page at 10M ratings. Names stay raw text: the template escapes them (they come
from the data and are untrusted). The page these rows make was byte-identical to the per-cell template's on the
demo's filter sets when they replaced it; tests hold each cell to its own column's format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd

from feedback.stats import formats


class Change(NamedTuple):
    """A 环比 / 同比 cell: the CSS direction (better, worse, flat, up, down, none), the arrow, the text."""

    direction: str
    arrow: str
    text: str


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _texts(values: Sequence[Any], write) -> list[str]:
    return [write(v) for v in values]


def _link(base: str, query: Any) -> str | None:
    return None if formats.missing(query) else f"{base}?{query}"


def _value(v: Any) -> str:
    """A sort key as the data-value attribute holds it: '' when missing, else the value as Python writes it."""
    return "" if formats.missing(v) else str(v)


def _changes(key: str, values: Sequence[Any]) -> list[Change]:
    return [Change(formats.direction(key, v) or "none", formats.arrow(key, v), formats.change(key, v)) for v in values]


def board_rows(frame: pd.DataFrame, base: str) -> list[dict[str, Any]]:
    """The rows of a 红榜 / 黑榜 (``base``: the explorer's URL for the unit's and its 差评's links)."""
    names = _column(frame, "name")
    cells = {
        "rank": _column(frame, "rank"),
        "name": names,
        "link": [None if not q else f"{base}?{q}" for q in _column(frame, "records_query")],
        "bad_link": [_link(base, q) for q in _column(frame, "bad_records_query")],
        "total": _texts(_column(frame, "total"), formats.count),
        "active_rate": _texts(_column(frame, "active_rate"), formats.rate),
        "good_rate": _texts(_column(frame, "good_rate"), formats.rate),
        "bad": _texts(_column(frame, "bad"), formats.count),
        "bad_rate": _texts(_column(frame, "bad_rate"), formats.rate),
        "adjusted_bad_rate": _texts(_column(frame, "adjusted_bad_rate"), formats.rate),
        "on_time_rate": _texts(_column(frame, "on_time_rate"), formats.rate),
        "avg_score_10": _texts(_column(frame, "avg_score_10"), formats.number),
        "avg_score_10_mom": [formats.change("avg_score_10", v) for v in _column(frame, "avg_score_10_mom")],
    }
    return [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]


def unit_rows(frame: pd.DataFrame, base: str) -> list[dict[str, Any]]:
    """The rows of a full unit table (every department or region), with the sort keys of its sortable columns."""
    rates = ("good_rate", "bad_rate", "adjusted_bad_rate")
    cells: dict[str, list[Any]] = {
        "key": _column(frame, "key"),
        "bad_value": _column(frame, "bad"),
        "small": [bool(v) for v in _column(frame, "small")],
        "name": _column(frame, "name"),
        "link": [None if not q else f"{base}?{q}" for q in _column(frame, "records_query")],
        "bad_link": [_link(base, q) for q in _column(frame, "bad_records_query")],
        "rank_value": [_value(v) for v in _column(frame, "rank")],
        "rank": _texts(_column(frame, "rank"), formats.count),
        "total_value": _column(frame, "total"),
        "total": _texts(_column(frame, "total"), formats.count),
        "bad": _texts(_column(frame, "bad"), formats.count),
        "bad_rate_mom_value": [_value(v) for v in _column(frame, "bad_rate_mom")],
        "bad_rate_mom": _changes("bad_rate", _column(frame, "bad_rate_mom")),
        "bad_rate_yoy_value": [_value(v) for v in _column(frame, "bad_rate_yoy")],
        "bad_rate_yoy": _changes("bad_rate", _column(frame, "bad_rate_yoy")),
    }
    for name in rates:
        values = _column(frame, name)
        cells[name + "_value"] = [_value(v) for v in values]
        cells[name] = _texts(values, formats.rate)
    return [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]
