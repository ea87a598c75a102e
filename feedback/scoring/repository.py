"""All reads and writes of scores, model versions and gold labels (bound parameters only)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, exists, func, insert, select, update

from feedback.models import GoldLabel, ModelVersion, Record, Score
from feedback.scoring.scorer import may_be_no_complaint
from feedback.scoring.taxonomy import NOT_COMPLAINT

SCORING = "scoring"  # model_versions.kind of a complete scoring version (what charts read)
SENTIMENT = "sentiment"  # model_versions.kind of an adopted, trained sentiment model


STAMP_TZ = "UTC"  # the zone of this repository's stamps (model versions, scored_at, gold labels)


def _now() -> datetime:
    return datetime.now(ZoneInfo(STAMP_TZ)).replace(tzinfo=None)


_COLUMNS = (ModelVersion.version, ModelVersion.kind, ModelVersion.description, ModelVersion.metrics,
            ModelVersion.active, ModelVersion.created_at)


def _as_dict(row: Any) -> dict[str, Any]:
    return {"version": row.version, "kind": row.kind, "description": json.loads(row.description or "{}"),
            "metrics": json.loads(row.metrics) if row.metrics else None, "active": bool(row.active),
            "created_at": row.created_at}


def active_version(conn: Connection, kind: str = SCORING) -> dict[str, Any] | None:
    """The active version of a kind with its decoded description and metrics, or None."""
    row = conn.execute(select(*_COLUMNS).where(ModelVersion.kind == kind, ModelVersion.active.is_(True))
                       .order_by(ModelVersion.created_at.desc()).limit(1)).first()
    return None if row is None else _as_dict(row)


def office_message_categories(conn: Connection) -> list[str]:
    """The office's own 12345 categories in the active scoring version (``[scoring] message_classifier``, see
    feedback.scoring.messages); empty when it adopted none."""
    active = active_version(conn)
    office = ((active or {}).get("description", {}).get("messages") or {}).get("office") or {}
    return [str(c) for c in office.get("classes", [])]


def get_version(conn: Connection, version: str) -> dict[str, Any] | None:
    row = conn.execute(select(*_COLUMNS).where(ModelVersion.version == version)).first()
    return None if row is None else _as_dict(row)


def list_versions(conn: Connection, kind: str | None = None) -> list[dict[str, Any]]:
    stmt = select(*_COLUMNS).order_by(ModelVersion.created_at.desc())
    if kind:
        stmt = stmt.where(ModelVersion.kind == kind)
    return [_as_dict(r) for r in conn.execute(stmt)]


def register_version(conn: Connection, version: str, kind: str, description: dict, metrics: dict | None = None,
                     *, active: bool = False) -> None:
    """Insert a version (or refresh its description and metrics when it exists)."""
    body = {"description": json.dumps(description, ensure_ascii=False, default=str),
            "metrics": json.dumps(metrics, ensure_ascii=False, default=str) if metrics is not None else None}
    if conn.execute(select(ModelVersion.version).where(ModelVersion.version == version)).first():
        conn.execute(update(ModelVersion).where(ModelVersion.version == version).values(**body))
    else:
        conn.execute(insert(ModelVersion).values(version=version, kind=kind, active=False, created_at=_now(), **body))
    if active:
        activate(conn, version, kind)


def activate(conn: Connection, version: str, kind: str) -> None:
    """Make ``version`` the one active version of its kind."""
    conn.execute(update(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version != version)
                 .values(active=False))
    conn.execute(update(ModelVersion).where(ModelVersion.version == version).values(active=True))


def set_metrics(conn: Connection, version: str, metrics: dict) -> None:
    conn.execute(update(ModelVersion).where(ModelVersion.version == version)
                 .values(metrics=json.dumps(metrics, ensure_ascii=False, default=str)))


def delete_scores_except(conn: Connection, version: str) -> int:
    """Drop the scores of every other version (after ``version`` became active): one version per chart."""
    return conn.execute(delete(Score).where(Score.model_version != version)).rowcount or 0


def _unscored(version: str):
    return ~exists().where(and_(Score.record_id == Record.id, Score.model_version == version))


SCORER_COLUMNS = ("record_id", "kind", "level", "tags", "title", "text", "rated_at")  # what the scorer reads


def unscored_records(engine: Engine, version: str, size: int) -> Iterator[tuple[pd.DataFrame, int]]:
    """Every record without a score under ``version``, in id order, ``size`` at a time, with what the scorer
    reads, each part with the number of unscored records in all (counted by the same statement: a window count,
    so the progress total costs no second anti-join); nothing when every record is scored. One statement on a connection of its own, streamed (a server-side cursor on PostgreSQL), so the
    database answers it with one anti-join over the tables (a parallel hash join on PostgreSQL) instead of a
    probe per record. Ids are hashes of the natural key, so a new batch is a thin layer over every id: at 20M
    ratings the ordered probes of the former ranges read every record (200,000 new ratings: 338 s), and so did a
    lookup by id in a month-partitioned table (one probe per partition); this statement: 17 s. Rows written while
    it runs do not change what it yields (its snapshot). Add the gold labels with ``with_gold``."""
    stmt = (select(Record.id, Record.kind, Record.level, Record.tags, Record.title, Record.text, Record.rated_at,
                   func.count().over())
            .where(_unscored(version)).order_by(Record.id))
    with engine.connect().execution_options(stream_results=True, yield_per=size) as conn:
        for part in conn.execute(stmt).partitions(size):
            frame = pd.DataFrame(part, columns=[*SCORER_COLUMNS, "total"])
            yield frame.drop(columns="total"), int(frame["total"].iloc[0])


def with_gold(conn: Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (records to score) with their latest gold category and second level (``gold``, ``gold_sub``)."""
    frame = frame.copy()
    if frame.empty:
        frame["gold"] = []
        return frame
    ids = frame["record_id"].astype("int64").tolist()
    frame["gold"] = frame["record_id"].map(latest_gold(conn, ids))
    frame["gold_sub"] = frame["record_id"].map(latest_gold(conn, ids, subcategory=True))
    return frame


def latest_gold(conn: Connection, ids: Sequence[int], *, subcategory: bool = False) -> dict[int, str]:
    """record id → its latest gold category (``subcategory``: its second level, where the person gave one), for
    the records ``ids``."""
    rows = conn.execute(select(GoldLabel.record_id, GoldLabel.category, GoldLabel.subcategory)
                        .where(GoldLabel.record_id.in_(list(ids))).order_by(GoldLabel.id))
    out = {r.record_id: (r.subcategory if subcategory else r.category) for r in rows}
    return {k: v for k, v in out.items() if v is not None}


def insert_scores(conn: Connection, version: str, scores: pd.DataFrame) -> int:
    if scores.empty:
        return 0
    now = _now()
    rows = [dict(r, model_version=version, scored_at=now) for r in scores.astype(object).where(scores.notna(), None)
            .to_dict("records")]
    for r in rows:
        r["record_id"] = int(r["record_id"])
        r["hidden_complaint"] = bool(r["hidden_complaint"])
        if r.get("rated_at") is not None:
            r["rated_at"] = pd.Timestamp(r["rated_at"]).to_pydatetime()
    conn.execute(insert(Score), rows)
    return len(rows)


def training_corpus(conn: Connection, limit: int) -> pd.DataFrame:
    """Newest complaint-like texts (差评, messages, any rated comment) with tags and gold, for weak supervision."""
    gold = (select(GoldLabel.record_id, func.max(GoldLabel.id).label("gid")).group_by(GoldLabel.record_id)
            .subquery())
    rows = conn.execute(
        select(Record.id, Record.kind, Record.level, Record.tags, Record.title, Record.text, GoldLabel.category,
               GoldLabel.subcategory)
        .outerjoin(gold, gold.c.record_id == Record.id).outerjoin(GoldLabel, GoldLabel.id == gold.c.gid)
        .where(Record.text.is_not(None), Record.text != "").order_by(Record.rated_at.desc(), Record.id.desc()).limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["record_id", "kind", "level", "tags", "title", "text", "gold", "gold_sub"])


def all_gold(conn: Connection, depts: Sequence[str] | None = None) -> pd.DataFrame:
    """Every record whose latest gold label is a category (not ``NOT_COMPLAINT``: there is no category to agree
    on), with the text the models read; ``depts``: only records of these departments."""
    last = select(func.max(GoldLabel.id)).group_by(GoldLabel.record_id)
    stmt = (select(GoldLabel.record_id, GoldLabel.category, GoldLabel.labelled_by, GoldLabel.created_at,
                   Record.kind, Record.level, Record.tags, Record.title, Record.text)
            .join(Record, Record.id == GoldLabel.record_id)
            .where(GoldLabel.id.in_(last), GoldLabel.category != NOT_COMPLAINT)
            .order_by(GoldLabel.record_id))
    if depts:
        stmt = stmt.where(Record.dept_code.in_(list(depts)))
    rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["record_id", "gold", "labelled_by", "created_at", "kind", "level", "tags",
                                       "title", "text"])


class NoComplaintRefused(ValueError):
    """``NOT_COMPLAINT`` asked for a record that cannot be one (a 差评, a 12345 message): see may_be_no_complaint."""


@dataclass(frozen=True)
class ScoreChange:
    """What a gold label changed in a record's active score: the category and the hidden-complaint flag before
    and after (the rollup rows the record's contribution leaves and joins; the sentiment never changes)."""

    record_id: int
    rated_at: datetime
    old_category: str | None
    old_hidden: bool
    new_category: str | None
    new_hidden: bool


RESTORED = ("category", "category_conf", "subcategory", "category_margin", "categories", "hidden_complaint",
            "hidden_clause")
# what a gold label overwrites in the active score, kept in its ``replaced`` with the version and the scoring time


def add_gold_label(conn: Connection, record_id: int, category: str, *, by: str, note: str | None,
                   version: str | None, subcategory: str | None = None,
                   given_with: int | None = None) -> tuple[int, ScoreChange | None]:
    """Store a person's category (and second level, when given) for a record; the active version's score takes
    it at once (gold wins) and leaves the 待确认 queue (no margin). ``NOT_COMPLAINT`` clears the score's category
    and hidden-complaint flag instead. The label keeps the score's values it overwrote (``replaced``, JSON: what
    undo_gold_label restores; NULL when no score changed). Returns (the new label's id, the ScoreChange when the
    active score's category or hidden-complaint flag changed — what the rollups must move; a confirmation changes
    neither — else None). ``given_with``: the label whose answer this one shares (the same words answered once).
    Raises KeyError for no such record, NoComplaintRefused for a ``NOT_COMPLAINT`` it cannot take."""
    record = conn.execute(select(Record.kind, Record.level, Record.rated_at).where(Record.id == record_id)).first()
    if record is None:
        raise KeyError(record_id)
    if category == NOT_COMPLAINT and not may_be_no_complaint(record.kind, record.level):
        raise NoComplaintRefused(record_id)
    score = Score.record_id == record_id, Score.model_version == version
    before = None if not version else conn.execute(
        select(*(getattr(Score, c) for c in RESTORED), Score.scored_at).where(*score)).first()
    replaced = None if before is None else json.dumps(
        {"model_version": version, "scored_at": _stamp(before.scored_at),
         **{c: getattr(before, c) for c in RESTORED}, "hidden_complaint": bool(before.hidden_complaint)},
        ensure_ascii=False)
    label_id = conn.execute(insert(GoldLabel).values(
        record_id=record_id, category=category, subcategory=subcategory, labelled_by=by, note=note,
        created_at=_now(), replaced=replaced, given_with=given_with)).inserted_primary_key[0]
    return label_id, None if not version else _gold_wins(conn, record_id, record.rated_at, version, before,
                                                         category, subcategory)


def _gold_wins(conn: Connection, record_id: int, rated_at: Any, version: str, before: Any, category: str,
               subcategory: str | None) -> ScoreChange | None:
    """The record's score under the active ``version`` takes a new gold label (``before``: its values until now, or
    None); the ScoreChange when its category or hidden-complaint flag moved, else None."""
    score = Score.record_id == record_id, Score.model_version == version
    if category == NOT_COMPLAINT:  # no complaint: no category, no hidden complaint (the sentiment stays the model's)
        values = {"category": None, "category_conf": None, "subcategory": None, "category_margin": None,
                  "categories": None, "hidden_complaint": False, "hidden_clause": None}
    else:
        values = {"category": category, "category_conf": 1.0, "subcategory": subcategory, "category_margin": None,
                  "categories": json.dumps([[category, 1.0]])}
    conn.execute(update(Score).where(*score).values(**values))
    if before is None:
        return None
    old_hidden = bool(before.hidden_complaint)
    change = ScoreChange(record_id, rated_at, before.category, old_hidden, values["category"],
                         bool(values.get("hidden_complaint", old_hidden)))
    moved = (change.old_category, change.old_hidden) != (change.new_category, change.new_hidden)
    return change if moved else None


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class UndoRefused(ValueError):
    """A gold label that cannot be undone; ``reason``: ``not_latest`` (a later label of its record exists),
    ``no_previous`` (it kept no score values: stored before migration 0019, or it changed no score) or
    ``rescored`` (the active score is no longer the one it changed)."""

    def __init__(self, label_id: int, reason: str) -> None:
        super().__init__(f"gold label {label_id}: {reason}")
        self.label_id, self.reason = label_id, reason


def gold_label(conn: Connection, label_id: int) -> dict[str, Any] | None:
    """One gold label (id, record_id, category, subcategory, labelled_by, note, created_at), or None."""
    row = conn.execute(select(GoldLabel.id, GoldLabel.record_id, GoldLabel.category, GoldLabel.subcategory,
                              GoldLabel.labelled_by, GoldLabel.note, GoldLabel.created_at)
                       .where(GoldLabel.id == label_id)).first()
    return None if row is None else dict(row._mapping)


def labels_given_with(conn: Connection, label_id: int) -> list[tuple[int, int]]:
    """(label id, record id) of the gold labels that shared ``label_id``'s answer (``given_with``), oldest first."""
    return [(r.id, r.record_id) for r in conn.execute(
        select(GoldLabel.id, GoldLabel.record_id).where(GoldLabel.given_with == label_id).order_by(GoldLabel.id))]


def latest_label_id(conn: Connection, record_id: int) -> int | None:
    """The id of the record's latest gold label (the one that wins, and the only one that can be undone)."""
    return conn.execute(select(func.max(GoldLabel.id)).where(GoldLabel.record_id == record_id)).scalar_one()


def undo_gold_label(conn: Connection, label_id: int, version: str | None) -> ScoreChange | None:
    """Take back the gold label ``label_id``: the active score (``version``) gets the values the label replaced
    again (the model's own, or those of the record's label before it) and the label row is deleted (it no longer
    wins nor trains; the record returns to the 待确认 queue when no older label is left). Only the record's
    latest label, and only while the active score is still the one it changed: the same version and scoring run,
    and the category it set. Returns the ScoreChange (category and hidden-complaint flag before → after) when
    they moved, else None. Raises KeyError for no such label, UndoRefused otherwise."""
    label = conn.execute(select(GoldLabel.record_id, GoldLabel.category, GoldLabel.replaced)
                         .where(GoldLabel.id == label_id)).first()
    if label is None:
        raise KeyError(label_id)
    rid = label.record_id
    # the record's scores first (a label stored concurrently updates them): then no label slips in between
    conn.execute(select(Score.record_id).where(Score.record_id == rid).with_for_update()).all()
    if latest_label_id(conn, rid) != label_id:
        raise UndoRefused(label_id, "not_latest")
    if label.replaced is None:
        raise UndoRefused(label_id, "no_previous")
    previous = json.loads(label.replaced)
    score = Score.record_id == rid, Score.model_version == previous["model_version"]
    now = conn.execute(select(Score.category, Score.hidden_complaint, Score.scored_at).where(*score)).first()
    label_set = None if label.category == NOT_COMPLAINT else label.category
    if (version != previous["model_version"] or now is None or now.category != label_set
            or _stamp(now.scored_at) != previous["scored_at"]):
        raise UndoRefused(label_id, "rescored")
    restored = {c: previous.get(c) for c in RESTORED}  # a label stored before migration 0021 kept no clause
    restored["hidden_complaint"] = bool(restored["hidden_complaint"])
    conn.execute(update(Score).where(*score).values(**restored))
    conn.execute(delete(GoldLabel).where(GoldLabel.id == label_id, GoldLabel.record_id == rid))
    # labels that shared its answer and were not undone with it count on their own again
    conn.execute(update(GoldLabel).where(GoldLabel.given_with == label_id).values(given_with=None))
    rated_at = conn.execute(select(Record.rated_at).where(Record.id == rid)).scalar_one()
    change = ScoreChange(rid, rated_at, now.category, bool(now.hidden_complaint), restored["category"],
                         restored["hidden_complaint"])
    moved = (change.old_category, change.old_hidden) != (change.new_category, change.new_hidden)
    return change if moved else None


def rated_comments(conn: Connection, limit: int, min_level_pos: int = 4, max_level_neg: int = 2) -> pd.DataFrame:
    """Active ratings with a comment and a clear polarity (newest first): the weak labels of --from-ratings."""
    rows = conn.execute(
        select(Record.text, Record.level).where(
            Record.kind == "rating", Record.is_default.is_(False), Record.text.is_not(None), Record.text != "",
            (Record.level >= min_level_pos) | (Record.level <= max_level_neg))
        .order_by(Record.rated_at.desc(), Record.id.desc()).limit(limit)
    ).all()
    frame = pd.DataFrame(rows, columns=["text", "level"])
    frame["label"] = (frame["level"] >= min_level_pos).astype(int)
    return frame
