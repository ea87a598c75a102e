"""A period's rating frame by region, department, service and channel grouped by cell numbers (PostgreSQL).

The 总览 prefetches one frame of the period by region, department, service and channel (``counts.prefetch``).
Grouped by its nine columns in the database, two of them long names, a year of it (~60,000 rollup rows into
~17,000 groups) was the largest statement of a request. The service rollups carry ``cell`` (migration 0022): one
64-bit number for a row's six text columns (``CELL_COLUMNS``: region, department code and name, service code and
name, channel), computed by PostgreSQL when a row is written. So the frame is grouped by cell, level, is_default
and voided, four small columns, and arrives as numbers; each cell's text is looked up in this process's table of
the cells it has seen (``CellTexts``), filled from the database for the cells it has not (a new process, a new
service or department) by one statement over the same rows.

The table holds only what the cell numbers mean — the same six texts for a number in any database, as the number
is a function of them — never counts, so it cannot go stale. Two different texts with one number (a 64-bit hash
collision; the chance for a million cells is about 3 in 10^8) are caught when both texts are read in one
statement or one of them is already kept, and the frame is then grouped by its text columns as before; a number
kept for one text whose twin appears later, while no other cell is new, is not caught (the same chance). Rollup
parts without a stored ``cell`` (the daily edges of a period) compute the same number (CELL_SQL) per row. The frame has one row per cell rather than per key: a department or a
service renamed within the period keeps a row for each name, and every reader of the frame sums it by key and
takes max() of the names (``regroup``, the KPI tables), as the database's grouping did.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Table, func, literal_column, select, union_all
from sqlalchemy.sql import ColumnElement

from feedback.filters import Filters
from feedback.models.rollups import CELL_COLUMNS, CELL_SQL
from feedback.stats.queries.bulk import read_table, table_frame
from feedback.stats.queries.sources import RATING_DIMS, Source, column, filter_conditions, rated_conditions

CELL_BY = frozenset({"region", "dept", "service", "channel", *RATING_DIMS})  # the split the cells answer
# the frame's text columns from a cell's stored columns: the keys as ``sources.column`` makes them, the names
_TEXTS = ("region_code", "dept_key", "dept_name", "service_key", "service_name", "channel")
MAX_CELLS = 2_000_000  # a process keeps at most this many cells' texts (about 200 bytes each), then starts anew


def fits(conn: Connection, by: Sequence[str], parts: Sequence[tuple[Source, Filters]]) -> bool:
    """Whether a rating frame of these parts split by ``by`` can be read by cell: PostgreSQL, the split is the
    cells' (region, department, service, channel and the rating dimensions), every part has the six columns."""
    return (conn.dialect.name == "postgresql" and set(by) == CELL_BY
            and all(isinstance(src.from_, Table) and set(CELL_COLUMNS) <= set(src.cols) for src, _ in parts))


def cell_of(src: Source) -> ColumnElement:
    """A part's cell number: the stored column where the table has one, else the same hash computed per row."""
    t = src.from_
    return t.c.cell if isinstance(t, Table) and "cell" in t.c else literal_column(CELL_SQL)  # its one table's


def _rows(parts: Sequence[tuple[Source, Filters]], columns) -> ColumnElement:
    """The parts' rated rows (kind rating, with a level) with ``columns(src)``, one UNION ALL."""
    selects = [select(*columns(src)).select_from(src.from_).where(*filter_conditions(src, f), *rated_conditions(src))
               for src, f in parts]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("cells")


def read_frame(conn: Connection, parts: Sequence[tuple[Source, Filters]], columns: Sequence[str],
               texts: CellTexts | None = None) -> pd.DataFrame | None:
    """The rating frame of ``parts`` by the cells' split, with ``columns`` (``counts``' order) as ``counts``
    builds it, from a GROUP BY of cell numbers; None when it has no rows, or when a cell number stands for two
    different texts (the caller groups by the texts instead)."""
    texts = texts if texts is not None else CELL_TEXTS
    u = _rows(parts, lambda src: (cell_of(src).label("cell"), *(src.cols[c] for c in RATING_DIMS),
                                  *(src.from_.c[m] for m in ("n", "projects", "hidden"))))
    keys = [u.c.cell, *(u.c[c] for c in RATING_DIMS)]
    stmt = select(*keys, *(func.sum(u.c[m]).label(m) for m in ("n", "projects", "hidden"))).group_by(*keys)
    counted = read_table(conn, stmt, ["cell", *RATING_DIMS, "n", "projects", "hidden"], {"cell": pa.int64()})
    if counted is None:
        return None
    cells = counted.column("cell").to_numpy()
    found = texts.find(cells)
    if found is None:
        if not texts.learn(conn, parts):
            return None
        found = texts.find(cells)
        if found is None:  # pragma: no cover - the rows changed between the two statements; group by text
            return None
    at, known = found
    table = pa.table({c: known.column(c).take(at) if c in _TEXTS else counted.column(c) for c in columns})
    return table_frame(table)


class CellTexts:
    """The texts of the cells this process has read: cell numbers sorted, with the frame's six text columns in
    the same order (an Arrow table); the pair is replaced whole under a lock and read without one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.known: tuple[np.ndarray, pa.Table] = (
            np.zeros(0, dtype="int64"), pa.table({c: pa.array([], pa.string()) for c in _TEXTS}))

    def __len__(self) -> int:
        return len(self.known[0])

    def find(self, cells: np.ndarray) -> tuple[np.ndarray, pa.Table] | None:
        """Each cell's row in the texts' table, and that table; None when some cell is not known."""
        ids, table = self.known
        if not len(ids):
            return None if len(cells) else (np.zeros(0, dtype="int64"), table)
        at = np.minimum(np.searchsorted(ids, cells), len(ids) - 1)
        return (at, table) if bool((ids[at] == cells).all()) else None

    def learn(self, conn: Connection, parts: Sequence[tuple[Source, Filters]]) -> bool:
        """Read the texts of every cell of ``parts`` and keep them; False (nothing kept) when one number stands
        for two different texts, here or beside the texts already kept."""
        # the six stored texts (two numbers for one text tuple would differ in them) and the keys made of them
        read_cols = ["cell", *CELL_COLUMNS, "dept_key", "service_key"]
        u = _rows(parts, lambda src: (cell_of(src).label("cell"), *(src.cols[c] for c in CELL_COLUMNS),
                                      *(column(src, k).label(k) for k in ("dept_key", "service_key"))))
        read = read_table(conn, select(*(u.c[c] for c in read_cols)).distinct(), read_cols, {"cell": pa.int64()})
        if read is None:
            return True
        new = read.select(["cell", *_TEXTS])
        with self._lock:
            ids, table = self.known
            kept = pa.table({"cell": pa.array(ids), **{c: table.column(c) for c in _TEXTS}})
            if len(ids) + new.num_rows > MAX_CELLS:
                kept = kept.slice(0, 0)
            both = pa.concat_tables([kept, new]).to_pandas().drop_duplicates(ignore_index=True)
            if both["cell"].duplicated().any():
                return False
            both = both.sort_values("cell", kind="stable", ignore_index=True)
            table = pa.Table.from_pandas(both[list(_TEXTS)], preserve_index=False,
                                         schema=pa.schema([(c, pa.string()) for c in _TEXTS]))
            self.known = (both["cell"].to_numpy(dtype="int64"), table)
        return True


CELL_TEXTS = CellTexts()  # this process's
