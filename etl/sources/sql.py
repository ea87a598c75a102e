"""Incremental pulls from a source database table or query, past a watermark, as a RawSource."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from etl.sources.raw import (
    InputError,
    RawSource,
    cell_to_str,
    clean_headers,
    column_to_str,
    frame_from_columns,
)


def _watermark_text(value: object) -> str | None:
    """A watermark as text that round-trips through ``_coerce_after`` (date-times keep their microseconds)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return cell_to_str(value)


def _coerce_after(after: str, column_type: sa.types.TypeEngine) -> object:
    """The stored watermark text as a value of the column's Python type, so it binds correctly."""
    try:
        py = column_type.python_type
    except NotImplementedError:
        return after
    try:
        if py is dt.datetime:
            return dt.datetime.fromisoformat(after)
        if py is dt.date:
            return dt.date.fromisoformat(after[:10])
        if py is int:
            return int(after)
        if py is float:
            return float(after)
        if py is Decimal:
            return Decimal(after)
    except ValueError as exc:
        raise InputError(f"水位值 {after!r} 不是有效的 {py.__name__}") from exc
    return after


class SqlSource(RawSource):
    """Rows of a table (or of a SELECT) whose ``watermark_column`` is greater than ``after``, ordered by it.

    ``after`` is bound as a parameter (converted to the column's type when the table is reflected); the table
    name is reflected and quoted by SQLAlchemy. Cells come out as strings like the file readers'. ``__row__`` is
    the 1-based position in the pull. After ``chunks()`` has been consumed, ``max_watermark`` holds the largest
    watermark read (as text, to store), or ``after`` when nothing was new. Rows sharing the last watermark value
    and committed later are missed: use a strictly increasing column (an id or an insert timestamp)."""

    kind = "sql"

    def __init__(self, url: str, *, table: str | None, query: str | None, watermark_column: str,
                 after: str | None, chunk_size: int = 50_000):
        if (table is None) == (query is None):
            raise InputError("SQL 数据源：表名（table）和查询（query）须且只须给出一个")
        self.url = url
        self.after = after
        self.max_watermark: str | None = after
        self.chunk_size = max(1, int(chunk_size))
        self.engine = sa.create_engine(url)
        name = table or "query"
        try:
            if table is not None:
                schema, _, tname = table.rpartition(".")
                source = sa.Table(tname, sa.MetaData(), schema=schema or None, autoload_with=self.engine)
            else:
                source = sa.text(query).columns().subquery("src")
                with self.engine.connect() as conn:
                    keys = list(conn.execute(sa.select(sa.literal_column("*")).select_from(source)
                                             .where(sa.false())).keys())
                source = sa.text(query).columns(*[sa.column(k) for k in keys]).subquery("src")
        except NoSuchTableError as exc:
            self.engine.dispose()
            raise InputError(f"SQL 数据源：没有表 {table!r}") from exc
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise InputError(f"SQL 数据源 {name}：{str(exc).splitlines()[0]}") from exc
        columns = {c.name: c for c in source.columns}
        if watermark_column not in columns:
            self.engine.dispose()
            raise InputError(f"SQL 数据源 {name}：没有列 {watermark_column!r}（现有列：{'、'.join(columns)}）")
        self._names = list(columns)
        self._wm_index = self._names.index(watermark_column)
        wm = columns[watermark_column]
        stmt = sa.select(*source.columns).order_by(wm)
        if after is not None:
            stmt = stmt.where(wm > sa.bindparam("after", _coerce_after(after, wm.type), type_=wm.type))
        self._stmt = stmt
        super().__init__(Path(name), clean_headers(self._names, f"SQL source {name}"))

    def chunks(self) -> Iterator[pd.DataFrame]:
        start = 1
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=self.chunk_size).execute(self._stmt)
                for part in result.partitions(self.chunk_size):
                    if not part:
                        continue
                    columns = list(zip(*part, strict=True))
                    data = {h: column_to_str(columns[j]) for j, h in enumerate(self.headers)}
                    rows = np.arange(start, start + len(part), dtype=np.int64)
                    start += len(part)
                    last = columns[self._wm_index][-1]
                    if last is not None:
                        self.max_watermark = _watermark_text(last)
                    yield frame_from_columns(data, rows)
        except SQLAlchemyError as exc:
            raise InputError(f"SQL 数据源 {self.path}：{str(exc).splitlines()[0]}") from exc
        finally:
            self.engine.dispose()


def read_sql_source(url: str, *, table: str | None = None, query: str | None = None, watermark_column: str,
                    after: str | None, chunk_size: int = 50_000) -> SqlSource:
    """Open an incremental pull (connects now to learn the columns; rows are read by ``chunks()``)."""
    return SqlSource(url, table=table, query=query, watermark_column=watermark_column, after=after,
                     chunk_size=chunk_size)
