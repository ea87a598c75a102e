"""Counts of 差评 evaluation tags (评价标签): from rollup_bad_tags, or split from records to build and check it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.sql import ColumnElement

from feedback.filters import Filters
from feedback.models import Record, RollupBadTag
from feedback.stats.queries.counts import normalise, to_frame
from feedback.stats.queries.sources import (
    DIMENSIONS,
    Source,
    check_by,
    column,
    filter_conditions,
    month_expr,
    raw_source,
)


def split_tags(tags: pd.Series) -> pd.Series:
    """One tag code per row from comma / | / ; separated strings (index kept, blanks dropped)."""
    out = tags.astype("string").str.split(r"[,|;，\s]+", regex=True).explode().str.strip()
    return out[out.notna() & (out != "")]


TAG_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
            "voided", "sentiment", "category")  # the dimensions of rollup_bad_tags
TAG_LENGTH = 16  # rollup_bad_tags.tag's width
_TAG_BY = {"day", "month", "kind", "dept", "region", "channel", "service", "level", "voided", "sentiment",
           "category"}


def tag_counts(tags: str | None) -> Counter[str]:
    """One record's tag codes as rollup_bad_tags counts them (split, cut to 16 characters): code → mentions."""
    if tags is None:
        return Counter()
    return Counter(split_tags(pd.Series([tags])).str.slice(0, TAG_LENGTH).tolist())


def bad_tag_rows(conn: Connection, filters: Filters) -> pd.DataFrame:
    """差评 tag mentions straight from records, counted per day, TAG_DIMS and tag: the rows of rollup_bad_tags.

    Tags are a delimited string on the record, so they are split here, over 差评 only (a tiny share)."""
    src = raw_source(conn)
    stmt = (
        select(src.day.label("day"), *(src.cols[d].label(d) for d in TAG_DIMS), Record.tags.label("tags"))
        .select_from(src.from_)
        .where(*filter_conditions(src, filters), *bad_conditions(src), Record.tags.is_not(None))
    )
    rows = to_frame(conn.execute(stmt).all(), ["day", *TAG_DIMS, "tags"])
    rows = rows.join(split_tags(rows.pop("tags")).rename("tag"), how="inner")
    rows["tag"] = rows["tag"].str.slice(0, TAG_LENGTH)
    rows = normalise(rows)
    out = rows.groupby(["day", *TAG_DIMS, "tag"], dropna=False).size().rename("n").reset_index()
    return normalise(out)


def bad_tag_frame(conn: Connection, filters: Filters, by: Sequence[str] = (), *,
                  raw: bool = False) -> pd.DataFrame:
    """Evaluation-tag counts of 差评 (non-default ratings at levels 1-2): columns *keys of by, tag, voided, n."""
    check_by(by)
    if set(by) - _TAG_BY:
        raise ValueError(f"tag counts cannot be split by {sorted(set(by) - _TAG_BY)}")
    keys = [DIMENSIONS[b][0] for b in dict.fromkeys(by) if b != "voided"]
    if raw:
        rows = bad_tag_rows(conn, filters)
        rows["month"] = pd.to_datetime(rows["day"]).dt.strftime("%Y-%m")
        rows["dept_key"] = rows["dept_code"].fillna(rows["dept_name"])
        rows["service_key"] = rows["service_code"].fillna(rows["service_name"])
    else:
        t = RollupBadTag.__table__
        src = Source(t, {c.name: c for c in t.c}, {}, t.c.day)
        key_cols = [month_expr(conn, t.c.day).label(k) if k == "month" else column(src, k).label(k) for k in keys]
        stmt = (select(*key_cols, t.c.tag, t.c.voided, func.sum(t.c.n).label("n"))
                .where(*filter_conditions(src, filters)).group_by(*key_cols, t.c.tag, t.c.voided))
        rows = normalise(to_frame(conn.execute(stmt).all(), [*keys, "tag", "voided", "n"]))
    out = rows.groupby([*keys, "tag", "voided"], dropna=False, as_index=False)["n"].sum()
    return out.astype({"n": "int64", "voided": bool})


def bad_conditions(src: Source) -> list[ColumnElement]:
    c = src.cols
    return [c["kind"] == "rating", c["level"] <= 2, c["is_default"].is_(False)]

