"""Turn the shared Filters and a search text into SQL conditions on records (bound parameters only)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, select

from feedback.filters import Filters
from feedback.models import ModelVersion, Record, Score
from feedback.scoring.repository import SCORING

MAX_QUERY_CHARS = 100
MAX_TERMS = 5


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` literally anywhere (``%``, ``_`` and the escape are escaped)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_terms(q: str | None) -> list[str]:
    return (q or "")[:MAX_QUERY_CHARS].split()[:MAX_TERMS]


def active_versions():
    """The active scoring version (scores of other versions are history; an adopted sentiment model is active
    too, under its own kind, but scores are only ever stored under a scoring version)."""
    return select(ModelVersion.version).where(ModelVersion.active.is_(True), ModelVersion.kind == SCORING) \
        .scalar_subquery()


def _score_exists(*conds: ColumnElement) -> ColumnElement:
    # Correlated on records only: the explorer's own query joins scores too, and auto-correlation would leave
    # this subquery without a FROM clause.
    return (select(Score.record_id).where(Score.record_id == Record.id, Score.model_version.in_(active_versions()), *conds)
            .correlate(Record).exists())


def record_conditions(f: Filters, q: str | None = None, *, hidden: bool = False) -> list[ColumnElement]:
    """Conditions for the records matching the filters and every word of ``q`` (in the text or the title);
    ``hidden``: only hidden complaints under the active model version (the records behind a 预警 about them)."""
    c: list[ColumnElement] = []
    if hidden:
        c.append(_score_exists(Score.hidden_complaint.is_(True)))
    if f.start:
        c.append(Record.rated_at >= datetime.combine(f.start, time.min))
    if f.end:
        c.append(Record.rated_at < datetime.combine(f.end + timedelta(days=1), time.min))
    if f.depts:
        c.append(Record.dept_code.in_(f.depts))
    if f.regions:
        c.append(Record.region_code.in_(f.regions))
    if f.channels:
        c.append(Record.channel.in_(f.channels))
    if f.services:
        c.append(or_(Record.service_code.in_(f.services), Record.service_name.in_(f.services)))
    if f.levels:
        c.append(Record.level.in_(f.levels))
    if f.kinds:
        c.append(Record.kind.in_(f.kinds))
    if f.categories:
        c.append(_score_exists(Score.category.in_(f.categories)))
    if f.sentiments:
        c.append(_score_exists(Score.sentiment.in_(f.sentiments)))
    for term in search_terms(q):
        pattern = like_pattern(term)
        c.append(or_(Record.text.ilike(pattern, escape="\\"), Record.title.ilike(pattern, escape="\\")))
    return c


def where_all(conds: list[ColumnElement]) -> ColumnElement:
    return and_(True, *conds)
