"""Record search for the explorer and the API, level counts, and the values offered in the filter controls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Select, and_, func, select

from dashboards import display
from dashboards.queries.paging import Page
from dashboards.queries.where import active_versions, record_conditions
from feedback.filters import Filters
from feedback.models import GoldLabel, LedgerCase, Record, Score
from feedback.scoring.classify import other_confidence
from feedback.scoring.taxonomy import Taxonomy, load_taxonomy

COUNT_CAP = 10_000  # counting stops here ("10000+"), so a broad search stays fast on millions of rows
MAX_PAGE = 1_000  # deeper pages: narrow the filters instead


@dataclass(frozen=True)
class RecordPage(Page):
    total_capped: bool  # total is exact when False, else at least COUNT_CAP


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


def _item(r, title: str | None, text: str | None, clause: str | None, voided: bool, taxonomy: Taxonomy
          ) -> dict[str, Any]:
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
        "category_name": display.category_name(category, taxonomy) if category else None,
        "category_conf": 1.0 if corrected else None if r.category_conf is None else round(float(r.category_conf), 3),
        "category_corrected": corrected, "voided": voided,
        # a good rating whose text complains; the clause after a turn (但/不过 …) that made it, when not the whole
        "hidden_complaint": bool(r.hidden_complaint), "hidden_clause": clause if r.hidden_complaint else None,
    }


def _items(conn: Connection, filters: Filters, q: str | None, hidden: bool, limit: int, offset: int = 0,
           taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """Records matching the filters, newest first, with their active scores and gold labels, text masked;
    category names from ``taxonomy`` (the app's; None: the packaged one)."""
    score_join = and_(Score.record_id == Record.id, Score.model_version.in_(active_versions()))
    latest = _latest_gold()
    rows = conn.execute(
        select(*_ITEM_COLUMNS, Score.sentiment, Score.category, Score.category_conf, Score.hidden_complaint,
               Score.hidden_clause,
               GoldLabel.category.label("gold_category"), LedgerCase.id.label("voided_case"))
        .select_from(Record)
        .outerjoin(Score, score_join)
        # a 差评 voided on appeal (差评无效) is listed but left out of the KPIs: say so beside it (one case a record)
        .outerjoin(LedgerCase, and_(LedgerCase.record_id == Record.id, LedgerCase.status == "voided"))
        .outerjoin(latest, latest.c.record_id == Record.id)
        .outerjoin(GoldLabel, GoldLabel.id == latest.c.gold_id)
        .where(*record_conditions(filters, q, hidden=hidden))
        .order_by(Record.rated_at.desc(), Record.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    titles = display.mask_texts([r.title for r in rows])
    texts = display.mask_texts([r.text for r in rows])
    clauses = display.mask_texts([r.hidden_clause for r in rows])  # a piece of the text: masked as the text is
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    return [_item(r, t, x, c, r.voided_case is not None, taxonomy)
            for r, t, x, c in zip(rows, titles, texts, clauses, strict=True)]


def search_records(conn: Connection, filters: Filters, q: str | None, page: int, per_page: int, *,
                   hidden: bool = False, taxonomy: Taxonomy | None = None) -> RecordPage:
    """Newest first; ``filters`` must already be scoped to the user's department; ``hidden``: only hidden
    complaints; ``taxonomy`` names the categories (the app's; None: the packaged one)."""
    page = max(1, min(page, MAX_PAGE))
    items = _items(conn, filters, q, hidden, per_page + 1, (page - 1) * per_page, taxonomy)
    total = count_records(conn, filters, q, cap=COUNT_CAP + 1, hidden=hidden)
    return RecordPage(
        items=items[:per_page], page=page, per_page=per_page, has_next=len(items) > per_page,
        total=min(total, COUNT_CAP), total_capped=total > COUNT_CAP,
    )


EXPORT_COLUMNS = (
    ("id", "记录ID"), ("rated_at", "评价时间"), ("kind_name", "类型"), ("level_name", "满意度"),
    ("default_name", "系统默认"), ("channel_name", "渠道"), ("service_name", "事项"), ("service_code", "事项编码"),
    ("dept_name", "部门"), ("dept_code", "部门编码"), ("region_code", "区划代码"), ("tags", "标签"),
    ("title", "标题"), ("text", "评价内容（已脱敏）"), ("votes_up", "点赞数"), ("sentiment_name", "情感"),
    ("category_name", "问题分类"), ("category_conf_name", "分类把握（高/中/低）"), ("category_source", "分类来源"),
    ("voided_name", "差评无效（申诉认定）"), ("hidden_name", "隐性投诉"), ("hidden_clause", "隐性投诉依据（转折后的一句，已脱敏）"),
)


def export_rows(conn: Connection, filters: Filters, q: str | None, *, hidden: bool = False, limit: int,
                taxonomy: Taxonomy | None = None) -> tuple[list[str], list[list[Any]], bool]:
    """The explorer's result as a table for download: header, rows (newest first, text masked, names in words)
    and whether ``limit`` cut it. ``filters`` must already be scoped."""
    items = _items(conn, filters, q, hidden, limit + 1, taxonomy=taxonomy)
    rows = []
    for r in items[:limit]:
        flat = {**r, "kind_name": display.KIND_NAMES.get(r["kind"], r["kind"]),
                "default_name": "是" if r["is_default"] else "否", "tags": "、".join(r["tags"] or []),
                "sentiment_name": display.sentiment_name(r["sentiment"]) if r["sentiment"] else None,
                "category_conf_name": None if r["category_corrected"] else display.confidence_name(r["category_conf"]),
                "category_source": None if not r["category"] else "人工校正" if r["category_corrected"] else "模型",
                "voided_name": "是" if r["voided"] else None, "hidden_name": "是" if r["hidden_complaint"] else None}
        rows.append([flat[key] for key, _ in EXPORT_COLUMNS])
    return [name for _, name in EXPORT_COLUMNS], rows, len(items) > limit


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


REVIEW_LIMIT = 50  # rows of the 待确认 queue on one screen


def review_queue(conn: Connection, filters: Filters, limit: int = REVIEW_LIMIT, taxonomy: Taxonomy | None = None
                 ) -> tuple[list[dict[str, Any]], int]:
    """The 待确认 queue: records whose complaint category the active model is least sure of (smallest margin
    between its best and second-best category first; scored before margins were stored: last), without a gold
    label, with text; ``filters`` must already be scoped to the user's department. Returns (items, how many wait
    in all)."""
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    base = _waiting(filters, taxonomy, Record.id)
    waiting = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    fetched = conn.execute(
        _waiting(filters, taxonomy, Record.id, Record.kind, Record.rated_at, Record.level, Record.dept_name,
                 Record.service_name, Record.title, Record.text, Score.category, Score.subcategory,
                 Score.category_conf, Score.category_margin, Score.categories)
        .order_by(Score.category_margin.is_(None), Score.category_margin, Record.id)
        .limit(limit * SAME_TEXT_READ)
    ).all()
    # one row per text and answer: the same words (often a short comment many people typed) that the model filed
    # alike are confirmed once for all of them; alike, since 差评 tags can file the same words apart (不行)
    rows, seen = [], set()
    for r in fetched:
        if _same_key(r) not in seen and len(rows) < limit:
            seen.add(_same_key(r))
            rows.append(r)
    same = same_text_counts(conn, filters, taxonomy, [r.text for r in rows])
    titles = display.mask_texts([r.title for r in rows])
    texts = display.mask_texts([r.text for r in rows])
    items = []
    for r, title, text in zip(rows, titles, texts, strict=True):
        try:
            labels = [(c, float(v)) for c, v in json.loads(r.categories or "[]")]
        except (ValueError, TypeError):
            labels = []
        others = [c for c, _ in labels[1:]]
        items.append({
            "id": r.id, "kind": r.kind, "rated_at": r.rated_at.isoformat(sep=" ") if r.rated_at else None,
            "level": r.level, "level_name": display.level_name(r.level) if r.level else None,
            "dept_name": r.dept_name, "service_name": r.service_name, "title": title, "text": text,
            "category": r.category, "category_name": display.category_name(r.category, taxonomy),
            "subcategory": r.subcategory,
            "subcategory_name": taxonomy.name(r.subcategory) if r.subcategory else None,
            "category_conf": None if r.category_conf is None else round(float(r.category_conf), 3),
            "margin": None if r.category_margin is None else round(float(r.category_margin), 3),
            "also": [display.category_name(c, taxonomy) for c in others],
            # rules (several 差评 tags, seed phrases) gave the first two the same confidence: the text chose
            "tied": len(labels) > 1 and labels[0][1] == labels[1][1],
            # filed as other by the open-set rule (the router's messages have no margin): the margin lies between two
            # categories the model rejected, so the row names how sure the best category was instead
            "best_conf": round(other_confidence(float(r.category_conf)), 3)
            if r.category == taxonomy.other_slug and r.category_margin is not None and r.category_conf is not None
            else None,
            "same": same.get(_same_key(r), 1) - 1,  # other waiting records with these words, filed alike
        })
    return items, waiting


SAME_TEXT_READ = 20  # the queue reads this many times its rows, to fill a screen with different texts


def _waiting(filters: Filters, taxonomy: Taxonomy, *columns: Any) -> Select:
    """``columns`` of the records waiting in the 待确认 queue within ``filters`` (records joined to their scores):
    scored by an active version into the taxonomy (a 12345 message's own office category is not the queue's to
    confirm), without a gold label, with text."""
    latest = _latest_gold()
    return (select(*columns).select_from(Record).join(Score, Score.record_id == Record.id)
            .outerjoin(latest, latest.c.record_id == Record.id)
            .where(Score.model_version.in_(active_versions()),
                   Score.category.in_([*taxonomy.slugs, taxonomy.other_slug]), latest.c.gold_id.is_(None),
                   Record.text.is_not(None), Record.text != "", *record_conditions(filters)))


def _same_key(row: Any) -> tuple:
    """What makes two waiting records one row of the queue: the same title and text, filed alike by the model."""
    return row.title, row.text, row.category, row.subcategory


def same_text_counts(conn: Connection, filters: Filters, taxonomy: Taxonomy, texts: list[str]) -> dict[tuple, int]:
    """``_same_key`` → how many records within ``filters`` wait in the queue with these words, filed alike."""
    if not texts:
        return {}
    rows = conn.execute(
        _waiting(filters, taxonomy, Record.title, Record.text, Score.category, Score.subcategory,
                 func.count().label("n"))
        .where(Record.text.in_(sorted(set(texts))))
        .group_by(Record.title, Record.text, Score.category, Score.subcategory)).all()
    return {_same_key(r): int(r.n) for r in rows}


def same_text_waiting(conn: Connection, filters: Filters, taxonomy: Taxonomy, record_id: int) -> list[int]:
    """The records within ``filters`` waiting in the queue with exactly the words of ``record_id`` and filed alike
    by the active model (itself first when it waits), in id order."""
    waiting = _waiting(filters, taxonomy, Record.id, Record.title, Record.text, Score.category, Score.subcategory)
    own = conn.execute(waiting.where(Record.id == record_id)).first()
    if own is None:  # not waiting (answered meanwhile, or not the user's): nothing to answer alike
        return []
    alike = [(Record.title.is_(None) if own.title is None else Record.title == own.title), Record.text == own.text,
             Score.category == own.category,
             Score.subcategory.is_(None) if own.subcategory is None else Score.subcategory == own.subcategory]
    ids = conn.execute(waiting.where(*alike).order_by(Record.id)).scalars().all()
    return sorted(ids, key=lambda i: i != record_id)


RECENT_LABELS = 5  # the 待确认 page's 「我最近的确认与校正」


def recent_labels(conn: Connection, username: str, dept: str | None, limit: int = RECENT_LABELS,
                  taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """The latest gold labels ``username`` gave (newest first) on records a user bound to ``dept`` (None: every
    department) may see, with the record's service and masked text, what was chosen, and whether the label is
    still its record's latest (only that one can be undone). An answer given to the same words at once is one
    entry: the clicked record's label, with how many labels shared it (``together``; undone with it), never
    those labels apart. ``created_at`` is as stored: UTC (the scoring repository's clock), not the storage time
    zone."""
    latest = _latest_gold()
    follower = GoldLabel.__table__.alias("follower")
    together = (select(func.count()).select_from(follower).where(follower.c.given_with == GoldLabel.id)
                .scalar_subquery())
    stmt = (select(GoldLabel.id, GoldLabel.record_id, GoldLabel.category, GoldLabel.subcategory,
                   GoldLabel.created_at, Record.service_name, Record.title, Record.text, latest.c.gold_id,
                   together.label("together"))
            .join(Record, Record.id == GoldLabel.record_id)
            .join(latest, latest.c.record_id == GoldLabel.record_id)
            .where(GoldLabel.labelled_by == username, GoldLabel.given_with.is_(None))
            .order_by(GoldLabel.id.desc()).limit(limit))
    if dept:
        stmt = stmt.where(Record.dept_code == dept)
    rows = conn.execute(stmt).all()
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    texts = display.mask_texts([r.text or r.title for r in rows])
    return [{
        "id": r.id, "record_id": r.record_id, "created_at": r.created_at,
        "service_name": r.service_name, "text": text, "category": r.category,
        "category_name": taxonomy.name(r.category),
        "subcategory_name": taxonomy.name(r.subcategory) if r.subcategory else None,
        "latest": r.gold_id == r.id, "together": r.together,
    } for r, text in zip(rows, texts, strict=True)]
