"""Category corrections (gold labels) from the explorer and the API: checked, department-scoped, stored, and
counted at once (the record moves between its rollup rows in the same transaction); and their undo (撤销)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dashboards.queries.records import record_visible, same_text_waiting
from dashboards.users import UserRow
from feedback.filters import Filters
from feedback.pipeline import record_correction, undo_correction
from feedback.scoring import repository as store
from feedback.scoring.taxonomy import NOT_COMPLAINT, NOT_COMPLAINT_NAME, taxonomy_of
from feedback.settings import Settings

MAX_NOTE = 500


class LabelError(ValueError):
    """A correction that cannot be stored as asked (unknown category, note too long); the message is Chinese."""


def category_choices(settings: Settings) -> list[tuple[str, str]]:
    """(slug, name) of the categories a person may choose: the taxonomy's first level, then "other" — the level
    the gold labels, the classifier's training and the 模型 screen's agreement use."""
    return list(_choices(settings.scoring.taxonomy, settings.base_dir))


@functools.lru_cache(maxsize=8)
def _choices(taxonomy_path: str, base_dir: Path) -> tuple[tuple[str, str], ...]:
    """Parsing the taxonomy costs ~25 ms; the explorer needs its names on every page (a server restart, as after
    any taxonomy edit, reads it again)."""
    from feedback.settings import settings_from_mapping

    taxonomy = taxonomy_of(settings_from_mapping({"scoring": {"taxonomy": taxonomy_path}}, base_dir=base_dir))
    return tuple([(s, taxonomy.name(s)) for s in taxonomy.slugs] + [(taxonomy.other_slug, taxonomy.other_name)])


def subcategory_choices(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """First-level slug → (slug, name) of its second-level categories (the 待确认 queue offers them)."""
    return {c: list(subs) for c, subs in _sub_choices(settings.scoring.taxonomy, settings.base_dir)}


@functools.lru_cache(maxsize=8)
def _sub_choices(taxonomy_path: str, base_dir: Path) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    from feedback.settings import settings_from_mapping

    taxonomy = taxonomy_of(settings_from_mapping({"scoring": {"taxonomy": taxonomy_path}}, base_dir=base_dir))
    return tuple((c.slug, tuple((s.slug, s.name) for s in c.subcategories)) for c in taxonomy.categories)


def label_names(settings: Settings, category: str, subcategory: str | None) -> tuple[str, str | None]:
    """The Chinese names of a label's category and second level (不是投诉 included; a slug the taxonomy no longer
    has comes back as it is)."""
    name = NOT_COMPLAINT_NAME if category == NOT_COMPLAINT else dict(category_choices(settings)).get(category, category)
    sub = dict(subcategory_choices(settings).get(category, [])).get(subcategory, subcategory) if subcategory else None
    return name, sub


NOT_COMPLAINT_CHOICE = (NOT_COMPLAINT, f"{NOT_COMPLAINT_NAME}（表扬或中性评价）")


def correct_category(engine: Engine, settings: Settings, user: UserRow, record_id: int, category: object,
                     note: object, subcategory: object = None, given_with: int | None = None) -> dict[str, Any]:
    """Store ``category`` (with its second level ``subcategory``, optional) as the record's gold label (it wins
    over the active score at once, counts on the overview at once, and joins the next training); ``NOT_COMPLAINT``
    (a rating above 差评 only) says the text is no complaint at all. Raises LabelError for a bad category,
    subcategory or note, LookupError for a record the user cannot see. ``given_with``: the label whose answer
    this one shares (``correct_same_text``). The result names the new label (``label_id``)."""
    choices = dict([*category_choices(settings), NOT_COMPLAINT_CHOICE])
    if not isinstance(category, str) or category not in choices:
        raise LabelError(f"问题分类 {category!r} 不存在；可选：" + "、".join(f"{s}（{n}）" for s, n in choices.items()))
    if category == NOT_COMPLAINT and subcategory not in ("", None):
        raise LabelError(f"“{NOT_COMPLAINT_NAME}”没有二级分类")
    if subcategory in ("", None):
        subcategory = None
    else:
        subs = dict(subcategory_choices(settings).get(category, []))
        if not isinstance(subcategory, str) or subcategory not in subs:
            raise LabelError(f"二级分类 {subcategory!r} 不属于“{choices[category]}”" +
                             ("；可选：" + "、".join(f"{s}（{n}）" for s, n in subs.items()) if subs else ""))
    if note is not None and not isinstance(note, str):
        raise LabelError("说明必须是文字")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise LabelError(f"说明最多 {MAX_NOTE} 个字，现在是 {len(note)} 个字")
    with engine.begin() as conn:
        if not record_visible(conn, record_id, user.dept_code):
            raise LookupError(record_id)
        try:
            label_id, version = record_correction(conn, record_id, category, by=user.username, note=note,
                                                  subcategory=subcategory, given_with=given_with)
        except store.NoComplaintRefused:
            raise LabelError(_no_complaint_refused(settings)) from None
    name, sub_name = label_names(settings, category, subcategory)
    return {"record_id": record_id, "label_id": label_id, "category": category, "category_name": name,
            "subcategory": subcategory, "subcategory_name": sub_name,
            "labelled_by": user.username, "note": note, "model_version": version}


def correct_same_text(engine: Engine, settings: Settings, user: UserRow, record_id: int, category: object,
                      note: object, subcategory: object, scope: Filters | None) -> tuple[dict[str, Any], list[int], int]:
    """``correct_category`` for ``record_id``, then (unless ``scope`` is None) for every other record within
    ``scope`` (the user's department) that waits in the 待确认 queue with exactly its words: the same judgement of
    the same text, given once (only those the active model filed alike: 差评 tags can file the same short words
    apart). Each record is its own gold label and transaction, as if answered one by one; their labels point at
    the record's (``given_with``), so the answer is listed and undone as one (``undo_label``). Returns (the record's
    label, the other records labelled, how many others could not take it: 不是投诉 on a 差评). Errors of
    ``record_id`` itself are raised as by ``correct_category``, before any other record is touched."""
    others = []
    if scope is not None:
        with engine.connect() as conn:  # before the record's own answer takes it out of the queue
            others = [i for i in same_text_waiting(conn, scope, taxonomy_of(settings), record_id) if i != record_id]
    saved = correct_category(engine, settings, user, record_id, category, note, subcategory)
    done, refused = [], 0
    for other in others:
        try:
            correct_category(engine, settings, user, other, category, note, subcategory,
                             given_with=saved["label_id"])
        except LabelError:
            refused += 1
            continue
        except LookupError:  # gone meanwhile, or not the user's to see
            continue
        done.append(other)
    return saved, done, refused


MISRATED = "policy_or_invalid"  # the packaged taxonomy's home of 误评 / 点错


def _no_complaint_refused(settings: Settings) -> str:
    names = dict(category_choices(settings))
    where = f"请选“{names[MISRATED]}”" if MISRATED in names else "请选相应的问题分类"
    return (f"只有基本满意及以上的评价可以标为“{NOT_COMPLAINT_NAME}”：差评本身就是投诉（误评、点错{where}），"
            "12345 留言也按诉求处理")


UNDO_REFUSED = {
    "not_latest": "这条记录之后又有新的确认或校正，只能先撤销最新的那一次",
    "rescored": "这条记录已重新评分，无法撤销；请在评价明细中重新校正",
    "no_previous": "这次确认或校正没有保存原来的模型分类（撤销功能上线之前的标注，或当时记录还没有评分），"
                   "无法撤销；请在评价明细中重新校正",
}


def undo_label(engine: Engine, settings: Settings, user: UserRow, label_id: int) -> dict[str, Any]:
    """Take back the gold label ``label_id`` (feedback.pipeline.undo_correction): the record's active score gets
    the model's classification back (or the one of its label before), the rollups move back, and the record
    returns to the 待确认 queue (``older_label``: unless an older label of the record now counts). The labels that
    shared its answer (the same words answered once, ``correct_same_text``) are undone with it, in the same
    transaction (``together``: their record ids); one that cannot be (labelled again since, rescored) stays and
    counts on its own (``kept``). A user may undo their own labels, an admin anyone's. Raises LookupError for no
    such label or one of a record the user cannot see, PermissionError for another user's label, LabelError (the
    Chinese reason) where it cannot be undone."""
    with engine.begin() as conn:
        label = store.gold_label(conn, label_id)
        if label is None or not record_visible(conn, label["record_id"], user.dept_code):
            raise LookupError(label_id)
        if user.role != "admin" and label["labelled_by"] != user.username:
            raise PermissionError(label_id)
        followers = store.labels_given_with(conn, label_id)  # before the undo detaches them
        try:
            undo_correction(conn, label_id)
        except store.UndoRefused as exc:
            raise LabelError(UNDO_REFUSED[exc.reason]) from None
        older = bool(store.latest_gold(conn, [label["record_id"]]))
        together, kept = [], 0
        for follower, record_id in followers:
            try:
                undo_correction(conn, follower)  # refusals are raised before anything is changed
            except store.UndoRefused:
                kept += 1
                continue
            together.append(record_id)
    name, sub_name = label_names(settings, label["category"], label["subcategory"])
    return {**label, "label_id": label_id, "category_name": name, "subcategory_name": sub_name,
            "older_label": older, "together": together, "kept": kept}
