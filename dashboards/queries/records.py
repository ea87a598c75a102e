"""Record search for the explorer and the API, level counts, and the values offered in the filter controls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, func, select

from dashboards import display
from dashboards.queries.where import active_versions, record_conditions
from feedback.filters import Filters
from feedback.models import GoldLabel, LedgerCase, Record, Score

COUNT_CAP = 10_000  # counting stops here ("10000+"), so a broad search stays fast on millions of rows
MAX_PAGE = 1_000  # deeper pages: narrow the filters instead


@dataclass(frozen=True)
class RecordPage:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    has_next: bool
    total: int  # exact when not total_capped, else at least COUNT_CAP
    total_capped: bool

    def as_json(self) -> dict[str, Any]:
        return {"page": self.page, "per_page": self.per_page, "has_next": self.has_next, "total": self.total,
                "total_capped": self.total_capped, "items": self.items}


_ITEM_COLUMNS = (
    Record.id, Record.kind, Record.rated_at, Record.level, Record.is_default, Record.channel, Record.service_code,
    Record.service_name, Record.dept_code, Record.dept_name, Record.region_code, Record.tags, Record.title,
    Record.text, Record.votes_up,
)


def _latest_gold():
    """record id → id of its latest gold label (a person's category correction wins over the model)."""
    return select(GoldLabel.record_id, func.max(GoldLabel.id).label("gold_id")).group_by(GoldLabel.record_id) \
        .subquery("latest_gold")


def record_visible(conn: Connection, record_id: int, dept: str | None) -> bool:
    """Whether the record exists and a user bound to ``dept`` (None: every department) may see it."""
    q = select(Record.id).where(Record.id == record_id)
    if dept:
        q = q.where(Record.dept_code == dept)
    return conn.execute(q).first() is not None


def _item(r, title: str | None, text: str | None, voided: bool) -> dict[str, Any]:
    corrected = r.gold_category is not None
    category = r.gold_category if corrected else r.category
    return {
        "id": r.id, "kind": r.kind, "rated_at": r.rated_at.isoformat(sep=" ") if r.rated_at else None,
        "level": r.level, "level_name": display.level_name(r.level) if r.level else None,
        "is_default": bool(r.is_default), "channel": r.channel,
        "channel_name": display.channel_name(r.channel) if r.channel else None,
        "service_code": r.service_code, "service_name": r.service_name, "dept_code": r.dept_code,
        "dept_name": r.dept_name, "region_code": r.region_code,
        "tags": display.tag_texts(r.tags), "title": title, "text": text, "votes_up": r.votes_up,
        "sentiment": r.sentiment, "category": category,
        "category_name": display.category_name(category) if category else None,
        "category_conf": 1.0 if corrected else None if r.category_conf is None else round(float(r.category_conf), 3),
        "category_corrected": corrected, "voided": voided,
    }


def search_records(conn: Connection, filters: Filters, q: str | None, page: int, per_page: int, *,
                   hidden: bool = False) -> RecordPage:
    """Newest first; ``filters`` must already be scoped to the user's department; ``hidden``: only hidden
    complaints."""
    page = max(1, min(page, MAX_PAGE))
    conds = record_conditions(filters, q, hidden=hidden)
    score_join = and_(Score.record_id == Record.id, Score.model_version.in_(active_versions()))
    latest = _latest_gold()
    rows = conn.execute(
        select(*_ITEM_COLUMNS, Score.sentiment, Score.category, Score.category_conf,
               GoldLabel.category.label("gold_category"))
        .select_from(Record)
        .outerjoin(Score, score_join)
        .outerjoin(latest, latest.c.record_id == Record.id)
        .outerjoin(GoldLabel, GoldLabel.id == latest.c.gold_id)
        .where(*conds)
        .order_by(Record.rated_at.desc(), Record.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    titles = display.mask_texts([r.title for r in rows])
    texts = display.mask_texts([r.text for r in rows])
    total = count_records(conn, filters, q, cap=COUNT_CAP + 1, hidden=hidden)
    voided = set(conn.execute(select(LedgerCase.record_id).where(
        LedgerCase.record_id.in_([r.id for r in rows]), LedgerCase.status == "voided")).scalars()) if rows else set()
    return RecordPage(
        items=[_item(r, t, x, r.id in voided) for r, t, x in zip(rows, titles, texts, strict=True)],
        page=page, per_page=per_page,
        has_next=has_next, total=min(total, COUNT_CAP), total_capped=total > COUNT_CAP,
    )


def count_records(conn: Connection, filters: Filters, q: str | None = None, cap: int | None = None, *,
                  hidden: bool = False) -> int:
    inner = select(Record.id).where(*record_conditions(filters, q, hidden=hidden))
    if cap is not None:
        inner = inner.limit(cap)
    return conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one()


def level_counts(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Rating counts per level (5 → 1, zeros included), split into active and default (系统默认) ratings."""
    rows = conn.execute(
        select(Record.level, Record.is_default, func.count())
        .where(Record.kind == "rating", Record.level.is_not(None), *record_conditions(filters))
        .group_by(Record.level, Record.is_default)
    ).all()
    frame = pd.DataFrame({"level": [5, 4, 3, 2, 1]})
    frame["level_name"] = frame["level"].map(display.level_name)
    for col, flag in (("active", False), ("default", True)):
        counts = {int(lv): int(n) for lv, d, n in rows if bool(d) is flag}
        frame[col] = frame["level"].map(lambda lv, c=counts: c.get(lv, 0)).astype("int64")
    frame["count"] = frame["active"] + frame["default"]
    return frame


def filter_choices(conn: Connection, dept: str | None) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for the department and channel controls; a bound user only gets their own."""
    q = select(Record.dept_code, func.max(Record.dept_name)).where(Record.dept_code.is_not(None))
    if dept:
        q = q.where(Record.dept_code == dept)
    rows = conn.execute(q.group_by(Record.dept_code)).all()
    names = [name or code for code, name in rows]
    # Two codes under one name (a renamed or split department) are told apart by their code.
    depts = [(code, label if names.count(label) == 1 else f"{label}（{code}）")
             for (code, _), label in zip(rows, names, strict=True)]
    depts.sort(key=lambda p: p[1])
    channels = [(code, display.channel_name(code)) for code in display.CHANNELS]
    return {"depts": depts, "channels": channels}
