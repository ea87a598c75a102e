"""Daily and monthly rollups the dashboard and the bulletin read (never the records)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class _RollupUnit:
    """Dimensions every rollup shares: kind, department, region, channel."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))


class _RollupCounts:
    """Rating level and the counts summed per group."""

    level: Mapped[int | None] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(Boolean)
    voided: Mapped[bool] = mapped_column(Boolean)  # 差评无效 approved on appeal
    n: Mapped[int] = mapped_column(Integer)  # records
    projects: Mapped[int] = mapped_column(Integer)  # first ratings (评价次数 1 or unknown) with a 办件编号
    hidden: Mapped[int] = mapped_column(Integer)  # hidden complaints under the active model version


class _RollupService:
    """The service: what the service rollups add to the unit dimensions."""

    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))


class _RollupFine(_RollupService):
    """The fine rollups' extra dimensions: the service, and the active model's sentiment and category."""

    sentiment: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))


# The columns a service rollup row's ``cell`` numbers, and the number: one 64-bit hash of the six (NULLs
# included), computed by PostgreSQL (migration 0022; feedback.stats.queries.cells reads it).
CELL_COLUMNS = ("region_code", "dept_code", "dept_name", "service_code", "service_name", "channel")
CELL_SQL = f"hash_record_extended(ROW({', '.join(CELL_COLUMNS)}), 0)"


class _RollupCell:
    """``cell``: the service rollups' number of a row's region, department, service and channel (CELL_SQL) on
    PostgreSQL, a stored generated column; empty on SQLite."""

    cell: Mapped[int | None] = mapped_column(BigInteger, Computed(CELL_SQL, persisted=True))


def _fine_indexes(table: str, period: str, units: bool = True, scores: bool = True) -> tuple[Index, ...]:
    """Period + kind, and each selective filter (category and sentiment where the table has them, ``scores``;
    service; department and region where the table has them, migration 0017) before the period: a focused filter
    reads only its rows, not the whole period."""
    selective = ("category", "sentiment", "service_code", "service_name") if scores else ("service_code",
                                                                                        "service_name")
    return (Index(f"ix_{table}_{period}_kind", period, "kind"),
            *(Index(f"ix_{table}_{col}_{period}", col, period) for col in selective),
            *_unit_indexes(table, period, units))


def _unit_indexes(table: str, period: str, units: bool = True) -> tuple[Index, ...]:
    """Department + period and region + period (migration 0017): a department's or a region's question reads
    its own rows (a tenth of a busy period's), not the period's."""
    return tuple(Index(f"ix_{table}_{col}_{period}", col, period) for col in ("dept_code", "region_code")) \
        if units else ()


class RollupDaily(_RollupUnit, _RollupFine, _RollupCounts, Base):
    """Record counts per day and every filterable dimension, with active-score sentiment and category."""

    __tablename__ = "rollup_daily"
    __table_args__ = _fine_indexes("rollup_daily", "day")

    day: Mapped[date] = mapped_column(Date)


class RollupDailyUnit(_RollupUnit, _RollupCounts, Base):
    """The same counts without service, sentiment and category: the small table the overview reads."""

    __tablename__ = "rollup_daily_unit"
    __table_args__ = (Index("ix_rollup_daily_unit_day_kind", "day", "kind"), *_unit_indexes("rollup_daily_unit", "day"))

    day: Mapped[date] = mapped_column(Date)


class RollupDailyChannel(_RollupCounts, Base):
    """rollup_daily_unit without department and region (~20 rows a day instead of ~600): what a question reads
    when neither its filters nor its split name a department, a region or a fine dimension — the 总览 trend,
    totals and KPI cards of a whole scope (migration 0017)."""

    __tablename__ = "rollup_daily_channel"
    __table_args__ = (Index("ix_rollup_daily_channel_day_kind", "day", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))


class RollupMonthlyUnit(_RollupUnit, _RollupCounts, Base):
    """rollup_daily_unit summed by calendar month (``month`` = its first day): whole months of long periods."""

    __tablename__ = "rollup_monthly_unit"
    __table_args__ = (Index("ix_rollup_monthly_unit_month_kind", "month", "kind"),
                      *_unit_indexes("rollup_monthly_unit", "month"))

    month: Mapped[date] = mapped_column(Date)


class RollupMonthly(_RollupUnit, _RollupFine, _RollupCounts, Base):
    """rollup_daily summed by calendar month (``month`` = its first day): the whole months of a period when a
    question needs the service, sentiment or category (migration 0009)."""

    __tablename__ = "rollup_monthly"
    __table_args__ = _fine_indexes("rollup_monthly", "month")

    month: Mapped[date] = mapped_column(Date)


class RollupQuarterly(_RollupUnit, _RollupFine, _RollupCounts, Base):
    """rollup_monthly summed by calendar quarter (``quarter`` = its first day): the whole quarters of a long period
    when a question needs the service, sentiment or category with department or region and is not split by month
    or day — the 总览's frame of a year by region, department, service and channel reads ~64,000 rows instead of
    ~104,000 (migration 0018)."""

    __tablename__ = "rollup_quarterly"
    __table_args__ = _fine_indexes("rollup_quarterly", "quarter")

    quarter: Mapped[date] = mapped_column(Date)


class RollupMonthlyService(_RollupUnit, _RollupService, _RollupCounts, _RollupCell, Base):
    """rollup_monthly without sentiment and category (migration 0020): the whole months of a question that needs
    the service with department or region but no score dimension — the 总览's prefetched frame of a period by
    region, department, service and channel, whose rows the database otherwise sums over every sentiment and
    category first."""

    __tablename__ = "rollup_monthly_service"
    __table_args__ = _fine_indexes("rollup_monthly_service", "month", scores=False)

    month: Mapped[date] = mapped_column(Date)


class RollupQuarterlyService(_RollupUnit, _RollupService, _RollupCounts, _RollupCell, Base):
    """rollup_quarterly without sentiment and category (migration 0020): the whole quarters of the same
    questions."""

    __tablename__ = "rollup_quarterly_service"
    __table_args__ = _fine_indexes("rollup_quarterly_service", "quarter", scores=False)

    quarter: Mapped[date] = mapped_column(Date)


class RollupMonthlyChannel(_RollupFine, _RollupCounts, Base):
    """rollup_monthly without department and region (~27,000 rows a year instead of ~104,000): the whole months
    of a service, sentiment or category question whose filters and split name neither (the 总览's complaint
    categories and top services of a whole scope; migration 0017)."""

    __tablename__ = "rollup_monthly_channel"
    __table_args__ = _fine_indexes("rollup_monthly_channel", "month", units=False)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(32))


class RollupBadTag(_RollupUnit, Base):
    """Evaluation-tag counts of 差评 (non-default ratings at level 1-2), one row per tag and dimensions."""

    __tablename__ = "rollup_bad_tags"
    __table_args__ = (Index("ix_rollup_bad_tags_day", "day"),)

    day: Mapped[date] = mapped_column(Date)
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)
    voided: Mapped[bool] = mapped_column(Boolean)
    sentiment: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)

