"""A large count result read in bulk on PostgreSQL: the rows made one CSV text in the server, parsed by Arrow.

A year of the 总览's prefetched frame is ~17,000 rows of twelve columns. Read as Python tuples (psycopg's
conversion, SQLAlchemy's rows) and turned into a frame, that cost ~30 ms of the interpreter per request; as the
CSV of ``COPY (SELECT …) TO STDOUT`` parsed by Arrow's reader (C++), the interpreter still handled every row once
(one COPY message each: ~1 µs of psycopg per row, 10–20 ms a year). So the server writes the CSV lines itself and
joins them into one value (``string_agg``), which arrives in one message: ~1.5 ms for the year's rows. The
statement is the same one ``counts`` would run, wrapped, with its parameters bound by psycopg, never pasted into
the text; it runs on the request's own connection and transaction, so its statement time limit applies. The frame
equals what ``count_frame`` builds from the same rows (a test compares them on PostgreSQL, with names holding
commas, quotes, line breaks and backslashes).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Select, Text, case, cast, func, literal, not_, select
from sqlalchemy.sql import ColumnElement

from feedback.text.normalise import STR_DTYPE

# Column types of a count frame (every other column is text): feedback.stats.queries.counts.normalise's dtypes.
_TYPES = {"level": pa.int16(), "is_default": pa.bool_(), "voided": pa.bool_(), "n": pa.int64(),
          "projects": pa.int64(), "hidden": pa.int64()}
_PANDAS = {pa.string(): STR_DTYPE, pa.int16(): pd.Int64Dtype()}


def readable(conn: Connection, columns: Sequence[str]) -> bool:
    """Whether ``read_frame`` can read these columns on this connection: PostgreSQL, and no day (a date)."""
    return conn.dialect.name == "postgresql" and "day" not in columns


def _field(col: ColumnElement, types: dict[str, pa.DataType]) -> ColumnElement:
    """A column of the wrapped statement as a CSV field, as COPY's CSV writer writes it for Arrow's reader: text
    quoted (quotes doubled), flags t / f, numbers as text; NULL an unquoted empty field, '' a quoted one."""
    if types.get(col.name) == pa.bool_():
        return case((col, "t"), (not_(col), "f"), else_="")
    if col.name in types:
        return func.coalesce(cast(col, Text), "")
    return func.coalesce(literal('"') + func.replace(cast(col, Text), '"', '""') + '"', "")


def read_frame(conn: Connection, stmt: Select, columns: Sequence[str]) -> pd.DataFrame | None:
    """The rows of ``stmt`` (named ``columns``) as a count frame, read as one CSV value; None when it has no rows
    (the caller builds the empty frame with its dtypes)."""
    table = read_table(conn, stmt, columns)
    return None if table is None else table_frame(table)


def read_table(conn: Connection, stmt: Select, columns: Sequence[str],
               types: dict[str, pa.DataType] | None = None) -> pa.Table | None:
    """The rows of ``stmt`` (named ``columns``) as an Arrow table, read as one CSV value: the count columns in
    their types (``types`` adds others), every other column text; None when it has no rows."""
    types = {**_TYPES, **(types or {})}
    t = stmt.subquery("t")
    line = func.concat_ws(",", *(_field(t.c[c], types) for c in columns))
    data = conn.execute(select(func.string_agg(line, literal("\n")))).scalar()
    if not data:
        return None
    return pacsv.read_csv(
        io.BytesIO(data.encode()), read_options=pacsv.ReadOptions(column_names=list(columns)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: types.get(c, pa.string()) for c in columns}, true_values=["t"], false_values=["f"],
            # NULL is an unquoted empty field, '' a quoted one; a name such as "NA" stays text
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False))


def table_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of count columns as the frame ``count_frame`` builds from the same rows: text as pandas'
    string dtype, a level as Int64, and a text column without a value a column of None (as pandas infers it)."""
    frame = table.to_pandas(types_mapper=_PANDAS.get)
    for name in table.column_names:
        if name not in _TYPES and table.column(name).null_count == table.num_rows:
            frame[name] = pd.Series([None] * table.num_rows, dtype=object, index=frame.index)
    return frame
