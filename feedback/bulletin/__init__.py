"""The monthly bulletin (月度通报): every figure and sentence of a month's bulletin as plain data.

``build_bulletin(conn, month, filters, settings=..., as_of=...)`` returns a ``Bulletin``; renderers live in
dashboards.reports. The headline KPIs are exactly ``haocha kpi --month M --as-of <ledger.as_of> --json``."""

from feedback.bulletin.assemble import build_bulletin, bulletin_title, default_issue_no
from feedback.bulletin.model import Bulletin, Complaints, LedgerSummary, Ranking, Tasks

__all__ = ["Bulletin", "Complaints", "LedgerSummary", "Ranking", "Tasks", "build_bulletin", "bulletin_title",
           "default_issue_no"]
