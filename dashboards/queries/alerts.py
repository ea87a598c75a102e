"""预警 for the page, the overview box and the API: one scoped list (a department-bound user sees the alerts of
their department; city-wide alerts such as a category burst have no department and only unbound users see them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from dashboards.queries.paging import Page
from feedback.alerts.queries import count_alerts, get_alert, list_alerts
from feedback.alerts.rules import RULES, STATUSES
from feedback.filters import FilterError


@dataclass(frozen=True)
class AlertFilters:
    statuses: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: Any) -> AlertFilters:
        def many(name: str, known: dict) -> tuple[str, ...]:
            values = tuple(dict.fromkeys(p.strip() for v in args.getlist(name) for p in str(v).split(",")
                                         if p.strip()))
            bad = [v for v in values if v not in known]
            if bad:
                raise FilterError(f"{name}: unknown {bad} (use {', '.join(known)})")
            return values

        return cls(many("status", STATUSES), many("rule", RULES))

    def to_args(self) -> list[tuple[str, str]]:
        return [("status", s) for s in self.statuses] + [("rule", r) for r in self.rules]


def figures(a: dict[str, Any]) -> str:
    """The alert's figures in one short line (the table already shows the rule, the subject and the week)."""
    count, base, value = a["count"], a["baseline"], a["value"]
    if a["rule"] == "dept_bad_rate":
        return (f"差评率 {value:.2f}%（差评 {count:,} 条 / 评价 {a['volume'] or 0:,} 条），"
                f"阈值 {a['threshold']:g}%")
    if a["rule"] == "category_burst":
        before = f"前几周平均 {base:.1f} 条，为其 {value:.1f} 倍" if base else "前几周没有"
        return f"投诉 {count:,} 条，{before}（阈值 {a['threshold']:g} 倍）"
    before = f"上周 {base:.0f} 条，为其 {value:.1f} 倍" if base else "上周没有"
    return f"隐性投诉 {count:,} 条，{before}（阈值 {a['threshold']:g} 倍）"


def item(a: dict[str, Any]) -> dict[str, Any]:
    """One alert as the page and the API show it; ``records_query`` is the 评价明细 query string of its records."""
    out = {k: a[k] for k in ("id", "rule", "subject", "subject_name", "period", "period_start", "period_end",
                             "dept_code", "dept_name", "value", "baseline", "threshold", "count", "volume",
                             "message", "status", "created_at", "updated_at", "closed_at", "closed_by",
                             "notified_at", "notify_failed_at", "notify_error", "notify_attempts")}
    return {**out, "rule_name": RULES.get(a["rule"], a["rule"]), "status_name": STATUSES.get(a["status"], a["status"]),
            "figures": figures(a), "records_query": urlencode(a["link"])}


AlertPage = Page


def alert_page(conn: Connection, af: AlertFilters, dept: str | None, page: int, per_page: int) -> AlertPage:
    page = max(1, page)
    rows = list_alerts(conn, dept=dept, statuses=af.statuses, rules=af.rules, limit=per_page + 1,
                       offset=(page - 1) * per_page)
    total = count_alerts(conn, dept=dept, statuses=af.statuses, rules=af.rules)
    return AlertPage([item(a) for a in rows[:per_page]], page, per_page, len(rows) > per_page, total)


def latest_open(conn: Connection, dept: str | None, limit: int = 5) -> tuple[list[dict[str, Any]], int]:
    """The newest open alerts for the overview box, and how many are open in all."""
    rows = list_alerts(conn, dept=dept, statuses=("open",), limit=limit)
    return [item(a) for a in rows], count_alerts(conn, dept=dept, statuses=("open",))


def scoped_alert(conn: Connection, alert_id: int, dept: str | None) -> dict[str, Any] | None:
    a = get_alert(conn, alert_id, dept=dept)
    return item(a) if a else None
