"""The monthly bulletin (月度通报) as plain data: headline KPIs, tables as DataFrames, sentences and notes.

Renderers (dashboards.reports) only format what is here; they never compute a figure of their own, so every
format shows the same numbers as ``haocha kpi`` and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import pandas as pd

from feedback.stats.formats import plain
from feedback.stats.rankings import Ranking

__all__ = ["Bulletin", "Complaints", "LedgerSummary", "Ranking", "Tasks"]


@dataclass(frozen=True)
class Complaints:
    """Complaint categories of the month under the active scoring version, and de-identified quotes."""

    model_version: str | None
    classified: bool  # False: no active version, or nothing scored in the month (暂无分类结果)
    table: pd.DataFrame  # category, name, bad, hidden, messages, total, share, top_subcategory, residual
    quotes: pd.DataFrame  # category, name, date, service_name, channel_name, text (masked, short)


@dataclass(frozen=True)
class Tasks:
    """The top optimisation tasks in scope and the count of tasks per state, as they stood at the ledger's ``as_of``
    (replayed from the task history; tasks first seen later left out)."""

    top: pd.DataFrame
    states: pd.DataFrame  # status, name, n
    total: int


@dataclass(frozen=True)
class LedgerSummary:
    """The month's 差评 cases and the backlog as they stood at ``as_of`` (the month's end, or the bulletin date
    when that is earlier: the moment of every ledger figure of the bulletin), replayed from the ledger's history."""

    month: dict[str, Any]  # cases, open, overdue, voided, closed, reply/on-time/revisit rates
    backlog: dict[str, Any]  # all cases rated up to the month end: open, overdue
    statuses: pd.DataFrame  # status, name, n (the month's cases)
    overdue_units: pd.DataFrame  # departments with most overdue cases (backlog)
    as_of: datetime  # the moment the figures are of (storage wall-clock time)


@dataclass(frozen=True)
class Bulletin:
    month: str  # YYYY-MM
    title: str
    issue_no: str  # 文号, e.g. 〔2026〕10号
    issuer: str
    scope: dict[str, Any]  # depts, regions, label
    as_of: datetime
    period: tuple[date, date]
    kpis: dict[str, Any]  # kpi.display(periods.month_kpis(...)): `haocha kpi --month M --as-of <ledger.as_of> --json`
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
    recipients: str = ""  # 主送机关
    opening: str = ""  # "……现将……通报如下："
    closing: str = ""  # the closing paragraph
    signature: str = ""  # 落款 (the issuer when empty)
    as_of_text: str = ""  # as_of as shown (the [display] time zone, one helper for every renderer)
    decimals: int = 2  # decimals of its percentages and scores ([bulletin] decimals)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: frames as lists of records, NaN as None, dates as ISO strings."""
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}
