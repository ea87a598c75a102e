"""One record's place in the rollups, read for a correction's or a 差评无效 ruling's incremental update: its day
and dimensions under the active score (as raw_source maps them), and the counts of one keyed rollup row against
the records it sums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.sql import ColumnElement

from feedback.filters import Filters
from feedback.models import Record
from feedback.stats.queries.sources import filter_conditions, hidden_flag, project_flag, raw_source

MEASURES = ("n", "projects", "hidden")


def key_conditions(cols: Mapping[str, Any], key: Iterable[tuple[str, Any]]) -> list[ColumnElement]:
    """Null-safe equality of columns to a key's values, as bound parameters: ``col IS NULL`` for None, else
    ``col = :value`` (an index serves both; ``IS NOT DISTINCT FROM`` would not use one on PostgreSQL)."""
    return [cols[name].is_(None) if value is None else cols[name] == value for name, value in key]


def record_state(conn: Connection, record_id: int) -> dict[str, Any] | None:
    """The record's rollup day, its dimensions (every raw_source column), ``projects`` (1: a first rating with a
    办件编号), ``hidden`` (0/1) and ``tags``, under the active score; None for no such record."""
    src = raw_source(conn)
    r = Record.__table__
    stmt = (select(src.day.label("day"), *(c.label(name) for name, c in src.cols.items()),
                   project_flag().label("projects"), hidden_flag().label("hidden"), r.c.tags.label("tags"))
            .select_from(src.from_).where(r.c.id == record_id))
    row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    out = dict(row)
    day = out["day"]
    out["day"] = date.fromisoformat(day) if isinstance(day, str) else day
    out["voided"], out["is_default"] = bool(out["voided"]), bool(out["is_default"])
    return out


def rollup_counts(conn: Connection, table: Any, key: Iterable[tuple[str, Any]]) -> tuple[int, ...]:
    """(n, projects, hidden) of a rollup table's rows with this key (zeros when there is none)."""
    t = table.__table__
    sums = [func.coalesce(func.sum(t.c[m]), 0) for m in MEASURES]
    return tuple(int(v) for v in conn.execute(select(*sums).where(*key_conditions(t.c, key))).one())


def raw_counts(conn: Connection, day: date, dims: Iterable[tuple[str, Any]],
               by: str = "category") -> dict[Any, tuple[int, ...]]:
    """(n, projects, hidden) of the day's records with these raw_source dimensions (all but ``by``) under the
    active score, per value of ``by``: what the fine daily rollup rows of those keys must hold (one read serves a
    move's old and new row: a correction's categories, a ruling's voided flags)."""
    src = raw_source(conn)
    split = src.cols[by]
    stmt = (select(split, *(func.coalesce(src.measures[m], 0) for m in MEASURES)).select_from(src.from_)
            .where(*filter_conditions(src, Filters(start=day, end=day)), *key_conditions(src.cols, dims))
            .group_by(split))
    return {_value(by, row[0]): tuple(int(v) for v in row[1:]) for row in conn.execute(stmt).all()}


def _value(name: str, value: Any) -> Any:
    """A flag as a bool (SQLite returns the voided CASE as 0/1), other dimensions as read."""
    return bool(value) if name in ("voided", "is_default") and value is not None else value
