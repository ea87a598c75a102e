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


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """The frame's columns as lists of Python scalars, from one conversion of the frame (a look-up of a column by
    its name costs more than its values; ``feedback.stats.formats.frame_records`` does the same)."""
    names = frame.columns.tolist()
    if not len(frame):
        return {name: [] for name in names}
    return dict(zip(names, frame.to_numpy(dtype=object).T.tolist(), strict=True))


def _column(columns: dict[str, list[Any]], name: str, rows: int) -> list[Any]:
    return columns[name] if name in columns else [None] * rows


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
    cols, rows = _columns(frame), len(frame)
    cells = {
        "rank": _column(cols, "rank", rows),
        "name": _column(cols, "name", rows),
        "link": [None if not q else f"{base}?{q}" for q in _column(cols, "records_query", rows)],
        "bad_link": [_link(base, q) for q in _column(cols, "bad_records_query", rows)],
        "total": _texts(_column(cols, "total", rows), formats.count),
        "active_rate": _texts(_column(cols, "active_rate", rows), formats.rate),
        "good_rate": _texts(_column(cols, "good_rate", rows), formats.rate),
        "bad": _texts(_column(cols, "bad", rows), formats.count),
        "bad_rate": _texts(_column(cols, "bad_rate", rows), formats.rate),
        "adjusted_bad_rate": _texts(_column(cols, "adjusted_bad_rate", rows), formats.rate),
        "on_time_rate": _texts(_column(cols, "on_time_rate", rows), formats.rate),
        "avg_score_10": _texts(_column(cols, "avg_score_10", rows), formats.number),
        "avg_score_10_mom": [formats.change("avg_score_10", v) for v in _column(cols, "avg_score_10_mom", rows)],
    }
    return [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]


def unit_rows(frame: pd.DataFrame, base: str) -> list[dict[str, Any]]:
    """The rows of a full unit table (every department or region), with the sort keys of its sortable columns."""
    rates = ("good_rate", "bad_rate", "adjusted_bad_rate")
    cols, rows = _columns(frame), len(frame)
    cells: dict[str, list[Any]] = {
        "key": _column(cols, "key", rows),
        "bad_value": _column(cols, "bad", rows),
        "small": [bool(v) for v in _column(cols, "small", rows)],
        "name": _column(cols, "name", rows),
        "link": [None if not q else f"{base}?{q}" for q in _column(cols, "records_query", rows)],
        "bad_link": [_link(base, q) for q in _column(cols, "bad_records_query", rows)],
        "rank_value": [_value(v) for v in _column(cols, "rank", rows)],
        "rank": _texts(_column(cols, "rank", rows), formats.count),
        "total_value": _column(cols, "total", rows),
        "total": _texts(_column(cols, "total", rows), formats.count),
        "bad": _texts(_column(cols, "bad", rows), formats.count),
        "bad_rate_mom_value": [_value(v) for v in _column(cols, "bad_rate_mom", rows)],
        "bad_rate_mom": _changes("bad_rate", _column(cols, "bad_rate_mom", rows)),
        "bad_rate_yoy_value": [_value(v) for v in _column(cols, "bad_rate_yoy", rows)],
        "bad_rate_yoy": _changes("bad_rate", _column(cols, "bad_rate_yoy", rows)),
    }
    for name in rates:
        values = _column(cols, name, rows)
        cells[name + "_value"] = [_value(v) for v in values]
        cells[name] = _texts(values, formats.rate)
    return [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]
