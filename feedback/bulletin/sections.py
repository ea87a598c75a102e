"""The bulletin's sections that are not rating KPIs: complaint categories with de-identified quotes, the ranked
optimisation tasks and their states, and the rectification ledger summary."""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection

from feedback.bulletin import queries
from feedback.bulletin.model import Complaints, LedgerSummary, Tasks
from feedback.codes import channel_name
from feedback.filters import Filters
from feedback.scoring.taxonomy import Taxonomy
from feedback.stats import kpi
from feedback.stats import queries as stats_queries
from feedback.stats.complaint_mix import finish_table, table_key
from feedback.text.pii import mask_scalar

QUOTE_CHARS = 40
MIN_QUOTE_CHARS = 6
CATEGORY_COLUMNS = ["category", "name", "bad", "hidden", "messages", "total", "share", "top_subcategory", "residual"]
QUOTE_COLUMNS = ["category", "name", "date", "service_name", "channel_name", "text"]
TASK_COLUMNS = ["rank", "title", "category_name", "service_name", "dept_name", "signals", "score", "status",
                "status_name", "owner", "due_date", "overdue_days", "last_seen"]


def quote(text: str | None, limit: int = QUOTE_CHARS) -> str | None:
    """A short, de-identified quote: whitespace collapsed, PII masked (again), cut to ``limit`` characters."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    clean = re.sub(r"\s+", " ", str(text)).strip()
    clean = mask_scalar(clean) or ""
    if len(clean) < MIN_QUOTE_CHARS:
        return None
    return clean if len(clean) <= limit else clean[:limit].rstrip("，。,.;；、 ") + "…"


def complaint_section(conn: Connection, filters: Filters, taxonomy: Taxonomy, *, top: int = 6,
                      per_category: int = 2) -> Complaints:
    """Complaints of the month by category (active version); quotes for the ``top`` largest categories."""
    empty = Complaints(None, False, pd.DataFrame(columns=CATEGORY_COLUMNS), pd.DataFrame(columns=QUOTE_COLUMNS))
    version = stats_queries.active_version(conn)
    if version is None:
        return empty
    rows = queries.complaint_rows(conn, filters, version)
    if rows.empty or rows["category"].isna().all():
        return Complaints(version, False, empty.table, empty.quotes)
    rows["category"] = table_key(rows["category"], rows["kind"], taxonomy)
    rows["message"] = rows["kind"] == "message"
    g = rows.groupby("category")
    table = pd.DataFrame({"bad": g["bad"].sum(), "hidden": g["hidden"].sum(), "messages": g["message"].sum(),
                          "total": g.size()}).astype("int64").reset_index()
    subs = rows.dropna(subset=["subcategory"]).groupby(["category", "subcategory"]).size().rename("n").reset_index()
    subs = subs.sort_values(["category", "n", "subcategory"], ascending=[True, False, True])
    table["top_subcategory"] = table["category"].map(
        subs.drop_duplicates("category").set_index("category")["subcategory"].map(taxonomy.name))
    table = finish_table(table, taxonomy)  # 其他问题, 未分类, then the messages outside the taxonomy: last
    return Complaints(version, True, kpi.round_frame(table[CATEGORY_COLUMNS]),
                      _quotes(rows, table[~table["residual"]], per_category, top))


def _quotes(rows: pd.DataFrame, table: pd.DataFrame, per_category: int, top: int) -> pd.DataFrame:
    cats = list(table["category"])[:top]
    pool = rows[rows["category"].isin(cats)].copy()
    body = pool["text"].where(pool["text"].notna(), pool["title"])
    pool["quote"] = body.map(quote)
    pool = pool[pool["quote"].notna()].copy()
    pool["conf"] = pool["confidence"].fillna(0.0)
    pool["rating"] = pool["kind"] == "rating"  # citizens' own ratings first, then 12345 messages
    pool = pool.sort_values(["bad", "rating", "conf", "rated_at", "record_id"],
                            ascending=[False, False, False, False, True])
    pool = pool.drop_duplicates(["category", "quote"])
    names = table.set_index("category")["name"]
    out = []
    for cat in cats:
        for r in pool[pool["category"] == cat].head(per_category).itertuples():
            out.append({"category": cat, "name": names[cat], "date": r.rated_at.date().isoformat(),
                        "service_name": None if pd.isna(r.service_name) else r.service_name, "channel_name": _channel(r.kind, r.channel), "text": r.quote})
    return pd.DataFrame(out, columns=QUOTE_COLUMNS, dtype=object)  # None stays None (not NaN)


def _channel(kind: str, channel: str | None) -> str | None:
    if kind == "message":
        return channel_name(channel) or "12345热线"
    return channel_name(channel)


def task_section(conn: Connection, filters: Filters, taxonomy: Taxonomy, *, top: int = 10,
                 at: datetime | None = None) -> Tasks:
    """The active optimisation tasks in scope, best first (ranks of the latest rebuild), and their states; with
    ``at``, as they were then (the bulletin's month end): a later change does not show in an older bulletin. A
    task past its due date with its work pending on that day carries ``overdue_days``."""
    from feedback.tasks.lifecycle import STATUSES, overdue_days
    from feedback.tasks.queries import judged_on

    tasks, counts = queries.scoped_tasks(conn, filters, top, at)
    tasks["status_name"] = tasks["status"].map(STATUSES).fillna(tasks["status"])
    tasks["category_name"] = tasks["category"].map(lambda c: taxonomy.name(c) if isinstance(c, str) else "—")
    for col in ("due_date", "last_seen"):
        tasks[col] = tasks[col].map(lambda v: None if v is None or pd.isna(v) else str(v)[:10])
    day = judged_on(at.date() if at is not None else None)
    late = [overdue_days(s, d if isinstance(d, str) else None, day)  # a frame's missing day may be NaN
            for s, d in zip(tasks["status"], tasks["due_date"], strict=True)]
    tasks["overdue_days"] = pd.Series(late, dtype=object, index=tasks.index)
    order = {s: i for i, s in enumerate(STATUSES)}
    states = counts.assign(o=counts["status"].map(order).fillna(len(order))).sort_values(["o", "status"])
    states.insert(1, "name", states["status"].map(STATUSES).fillna(states["status"]))
    states = states.drop(columns="o").astype({"n": "int64"}).reset_index(drop=True)
    return Tasks(kpi.round_frame(tasks[TASK_COLUMNS]), states, int(states["n"].sum()))


def ledger_section(conn: Connection, month: Filters, *, at: datetime, good_includes_basic: bool,
                   top: int = 5) -> LedgerSummary:
    """The rectification ledger as it stood at ``at`` (the bulletin's month end), replayed from its history
    (feedback.ledger.replay): the month's 差评 cases (by rating time) with their states, the open and overdue
    backlog of every case rated up to the month end, the departments with most overdue cases. Cases opened after
    ``at`` are left out; states, deadlines, 反馈 and 整改 are those of that moment, overdue counted on its day."""
    from feedback.ledger import cases_as_of
    from feedback.ledger.rules import STATUSES

    today = at.date()
    cases = cases_as_of(conn, month.with_period(None, month.end), at)
    mine = cases[cases["rated_at"].dt.date >= month.start] if month.start is not None else cases
    counts = kpi.case_flags(mine, today=today)
    k = kpi.case_kpis(counts, good_includes_basic=good_includes_basic)
    by_status = counts.groupby("status")["n"].sum() if not counts.empty else pd.Series(dtype="int64")
    statuses = (by_status.reindex(list(STATUSES)).dropna().astype("int64").rename("n")
                .rename_axis("status").reset_index())
    statuses.insert(1, "name", statuses["status"].map(STATUSES))
    statuses = statuses[statuses["n"] > 0].reset_index(drop=True)
    summary = {**k, "voided": int(by_status.get("voided", 0)), "closed": int(by_status.get("closed", 0))}
    backlog = kpi.case_kpis(kpi.case_flags(cases, today=today), good_includes_basic=good_includes_basic)
    units = kpi.case_table(kpi.case_flags(cases, ("dept_key",), today=today), ["dept_key"],
                           good_includes_basic=good_includes_basic)
    names = cases.dropna(subset=["dept_key"]).groupby("dept_key")["dept_name"].max().to_dict()
    units = units[units["overdue_cases"] > 0].sort_values(["overdue_cases", "dept_key"], ascending=[False, True])
    units = units.head(top).assign(name=lambda t: t["dept_key"].map(names).fillna(t["dept_key"]))
    return LedgerSummary(month=kpi.rounded(summary), backlog=kpi.rounded(backlog), statuses=statuses,
                         overdue_units=kpi.round_frame(units[["dept_key", "name", "open_cases", "overdue_cases"]]
                                                   .reset_index(drop=True)), as_of=at)
