"""The monthly bulletin (月度通报) as plain data: headline KPIs, tables as DataFrames, sentences and notes.

Renderers (dashboards.reports) only format what is here; they never compute a figure of their own, so every
format shows the same numbers as ``haocha kpi`` and the dashboard."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import pandas as pd

DIGITS = 4  # the display rounding of kpi.rounded, applied to every table too


@dataclass(frozen=True)
class Ranking:
    """Units (regions or departments) ranked by kpi.ranking, with the case-mix columns, and the two boards."""

    unit: str  # "region" | "dept"
    table: pd.DataFrame  # every unit, ranked ones first
    red: pd.DataFrame  # 红榜: best ``board_size`` ranked units
    black: pd.DataFrame  # 黑榜: worst ``board_size`` ranked units, worst first
    min_volume: int


@dataclass(frozen=True)
class Complaints:
    """Complaint categories of the month under the active scoring version, and de-identified quotes."""

    model_version: str | None
    classified: bool  # False: no active version, or nothing scored in the month (暂无分类结果)
    table: pd.DataFrame  # category, name, bad, hidden, messages, total, share, top_subcategory, residual
    quotes: pd.DataFrame  # category, name, date, service_name, channel_name, text (masked, short)


@dataclass(frozen=True)
class Tasks:
    """The top optimisation tasks in scope (as of the latest rebuild) and the count of tasks per state."""

    top: pd.DataFrame
    states: pd.DataFrame  # status, name, n
    total: int


@dataclass(frozen=True)
class LedgerSummary:
    """The month's 差评 cases and the backlog as of the bulletin date."""

    month: dict[str, Any]  # cases, open, overdue, voided, closed, reply/on-time/revisit rates
    backlog: dict[str, Any]  # all cases rated up to the month end: open, overdue
    statuses: pd.DataFrame  # status, name, n (the month's cases)
    overdue_units: pd.DataFrame  # departments with most overdue cases (backlog)


@dataclass(frozen=True)
class Bulletin:
    month: str  # YYYY-MM
    title: str
    issue_no: str  # 文号, e.g. 〔2026〕10号
    issuer: str
    scope: dict[str, Any]  # depts, regions, label
    as_of: datetime
    period: tuple[date, date]
    kpis: dict[str, Any]  # kpi.display(kpi.month_kpis(...)): identical to `haocha kpi --month M --json`
    channels: pd.DataFrame
    levels: pd.DataFrame
    regions: Ranking
    depts: Ranking
    services: pd.DataFrame
    tags: pd.DataFrame
    complaints: Complaints
    tasks: Tasks
    ledger: LedgerSummary
    summary: str = ""  # 总体情况: the headline figures in one templated paragraph
    problems: list[str] = field(default_factory=list)  # 存在问题: sentences generated from the figures
    actions: list[str] = field(default_factory=list)  # 下步工作
    notes: list[str] = field(default_factory=list)  # definitions and footnotes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: frames as lists of records, NaN as None, dates as ISO strings."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def round_frame(frame: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Floats rounded like kpi.rounded, so a table cell and the JSON agree to the last digit."""
    if frame.columns.has_duplicates:
        out = frame.copy()
        for i in range(out.shape[1]):
            if pd.api.types.is_float_dtype(out.iloc[:, i]):
                out.isetitem(i, out.iloc[:, i].round(digits))
        return out
    out = pd.DataFrame({c: s.round(digits) if pd.api.types.is_float_dtype(s) else s for c, s in frame.items()},
                       index=frame.index, columns=frame.columns)  # one constructor, not a set per column
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [{k: _plain(v) for k, v in row.items()} for row in value.to_dict(orient="records")]
    if isinstance(value, Ranking | Complaints | Tasks | LedgerSummary):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value
