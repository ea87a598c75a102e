"""The province profile's month partitions of ``records`` and ``scores`` (PostgreSQL): which months, their names
and bounds, what to create ahead and what retention drops. Pure; the statements are in ``.repository``.

Layout after ``haocha partition setup`` (``docs/scale.md``):
- ``records`` and ``scores`` are range-partitioned on ``rated_at``, one partition per calendar month
  (``records_y2026m03`` holds March 2026). Their primary keys gain ``rated_at`` (PostgreSQL's rule: a partitioned
  table's unique keys hold the partition key): ``records (id, rated_at)``, ``scores (record_id, model_version,
  rated_at)``.
- A record id stays unique across months through ``record_keys (id)``, one narrow unpartitioned table: the loader
  claims the id there first (``INSERT … ON CONFLICT DO NOTHING RETURNING``) and stores only the records it claimed,
  so the same key arriving with another time is a duplicate, not a second row in another month. The rows that
  point at a record (scores, gold labels, task links, ledger cases) reference ``record_keys``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

PARTITIONED = ("records", "scores")  # the tables split by month, in creation order
GUARD = "record_keys"  # the unpartitioned table that keeps record ids unique across months
REFERRING = ("scores", "gold_labels", "task_records", "ledger_cases")  # tables with record_id → a record


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: date | datetime) -> Month:
        return cls(moment.year, moment.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    def plus(self, months: int) -> Month:
        k = self.year * 12 + self.month - 1 + months
        return Month(k // 12, k % 12 + 1)

    @property
    def end(self) -> date:
        """The first day after the month (the partition's exclusive upper bound)."""
        return self.plus(1).start

    def name(self, table: str) -> str:
        return f"{table}_y{self.year:04d}m{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included (empty when ``last`` is earlier)."""
    out, m = [], first
    while m <= last:
        out.append(m)
        m = m.plus(1)
    return out


def months_of(times: pd.Series | Iterable) -> set[Month]:
    """The months a chunk's ``rated_at`` values fall in (missing values ignored)."""
    stamps = pd.to_datetime(pd.Series(list(times) if not isinstance(times, pd.Series) else times)).dropna()
    if stamps.empty:
        return set()
    return {Month(int(y), int(m)) for y, m in zip(stamps.dt.year, stamps.dt.month, strict=True)}


def parse_partition(name: str) -> tuple[str, Month] | None:
    """``records_y2026m03`` → ("records", 2026-03); None for a name that is not a month partition."""
    table, sep, tail = name.rpartition("_y")
    if not sep or table not in PARTITIONED or len(tail) != 7 or tail[4] != "m":
        return None
    try:
        return table, Month(int(tail[:4]), int(tail[5:]))
    except ValueError:
        return None


def to_create(existing: Iterable[Month], wanted: Iterable[Month]) -> list[Month]:
    """The wanted months that have no partition yet, in order."""
    return sorted(set(wanted) - set(existing))


def to_drop(existing: Iterable[Month], today: date, keep_months: int) -> list[Month]:
    """Retention: the months older than the ``keep_months`` most recent (the current month counts as one);
    ``keep_months`` 0 keeps everything."""
    if keep_months <= 0:
        return []
    oldest_kept = Month.of(today).plus(-(keep_months - 1))
    return sorted(m for m in set(existing) if m < oldest_kept)
