"""The month partitions' statements (PostgreSQL): convert to the partitioned layout, create and drop months, say
what exists. Table and partition names come from ``feedback.records.partitions`` (never from input); dates are
``Month`` bounds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, text
from sqlalchemy.schema import CreateIndex

from feedback.models import Record, Score
from feedback.records.partitions import (
    GUARD,
    PARTITIONED,
    REFERRING,
    Month,
    months_between,
    parse_partition,
    to_drop,
)

__all__ = ["GUARD", "LOCK_KEY", "PartitionError", "create_months", "drop_months", "ensure_months",
           "existing_months", "is_partitioned", "maintain", "month_span", "require", "setup", "sizes"]

LOCK_KEY = 0x48414F4348415054  # pg_advisory_xact_lock key of partition DDL ("HAOCHAPT")


class PartitionError(RuntimeError):
    """A partition command that cannot run on this database; the message (Chinese) says why and what to do."""


def is_partitioned(conn: Connection) -> bool:
    """Whether the database has the province layout (``haocha partition setup`` ran)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(text(
        "SELECT to_regclass(:guard) IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('records'))"), {"guard": GUARD}).scalar())


def require(conn: Connection, *, partitioned: bool) -> None:
    """Raise PartitionError unless the database is PostgreSQL and (``partitioned``) already converted or (not
    ``partitioned``) not yet converted."""
    if conn.dialect.name != "postgresql":
        raise PartitionError(f"按月分区只用于 PostgreSQL（省级部署）；当前数据库是 {conn.dialect.name}，"
                             "城市规模的 SQLite 不需要分区")
    if partitioned and not is_partitioned(conn):
        raise PartitionError("数据库尚未按月分区：先运行 haocha partition setup")
    if not partitioned and is_partitioned(conn):
        raise PartitionError("数据库已经按月分区，无需再次转换（查看：haocha partition status）")


def maintain(conn: Connection, today: date, ahead: int, keep_months: int) -> tuple[list[Month], list[Month]]:
    """The daily upkeep: partitions from this month to ``ahead`` months after it, and retention (``to_drop``);
    returns the months created and the months dropped."""
    require(conn, partitioned=True)
    now = Month.of(today)
    made = create_months(conn, months_between(now, now.plus(ahead)))
    dropped = drop_months(conn, to_drop(existing_months(conn)["records"], today, keep_months))
    return made, dropped


def existing_months(conn: Connection) -> dict[str, list[Month]]:
    """table → the months it has a partition for, in order."""
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = ANY (ARRAY[to_regclass('records'), to_regclass('scores')])")).scalars()
    out: dict[str, list[Month]] = {t: [] for t in PARTITIONED}
    for name in rows:
        parsed = parse_partition(name)
        if parsed:
            out[parsed[0]].append(parsed[1])
    return {t: sorted(ms) for t, ms in out.items()}


def _create_month(conn: Connection, table: str, month: Month) -> None:
    conn.execute(text(
        f"CREATE TABLE IF NOT EXISTS {month.name(table)} PARTITION OF {table} "  # noqa: S608 - generated names
        f"FOR VALUES FROM ('{month.start.isoformat()}') TO ('{month.end.isoformat()}')"))


def create_months(conn: Connection, months: list[Month]) -> list[Month]:
    """Partitions of ``records`` and ``scores`` for ``months`` (those missing), under the DDL lock; the months
    created."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    have = existing_months(conn)
    made = []
    for month in sorted(set(months)):
        if all(month in have[t] for t in PARTITIONED):
            continue
        for table in PARTITIONED:
            _create_month(conn, table, month)
        made.append(month)
    return made


def ensure_months(engine: Engine, months: set[Month]) -> list[Month]:
    """Before a chunk is written: on a partitioned database, the partitions its months need, each created once
    in a short transaction of its own (a new month's partition takes a brief lock on the table; ``haocha
    partition maintain`` creates them ahead so a load rarely does). Nothing on any other database."""
    if not months or engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        if not is_partitioned(conn):
            return []
        have = existing_months(conn)
    missing = [m for m in months if not all(m in have[t] for t in PARTITIONED)]
    if not missing:
        return []
    with engine.begin() as conn:
        return create_months(conn, missing)


def drop_months(conn: Connection, months: list[Month]) -> list[Month]:
    """Retention: drop the partitions of ``months`` (records and their scores). The ids stay in ``record_keys``
    (a re-import of a dropped month counts as duplicates) and so do the rows that point at them."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    have = existing_months(conn)
    for month in months:
        for table in reversed(PARTITIONED):
            if month in have[table]:
                conn.execute(text(f"DROP TABLE {month.name(table)}"))  # noqa: S608 - generated names
    return months


def month_span(conn: Connection) -> tuple[date, date] | None:
    """The first and last ``rated_at`` day of the stored records (None when there are none)."""
    row = conn.execute(text("SELECT min(rated_at), max(rated_at) FROM records")).first()
    return None if row is None or row[0] is None else (row[0].date(), row[1].date())


def setup(conn: Connection, today: date, months_ahead: int) -> dict:
    """Convert an unpartitioned database to the province layout in the caller's transaction: ``record_keys``
    filled from the records, ``records`` and ``scores`` rebuilt as month-partitioned tables holding the same rows
    (a partition per month from the first record to ``months_ahead`` after ``today``), their keys, indexes and
    foreign keys restored, the referring tables pointed at ``record_keys``. Returns what was done."""
    require(conn, partitioned=False)
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    conn.execute(text("LOCK TABLE records, scores IN ACCESS EXCLUSIVE MODE"))
    span = month_span(conn)
    first = Month.of(span[0]) if span else Month.of(today)
    last = max(Month.of(span[1]) if span else first, Month.of(today).plus(months_ahead))
    months = months_between(first, last)

    conn.execute(text(f"CREATE TABLE {GUARD} (id BIGINT NOT NULL, CONSTRAINT pk_{GUARD} PRIMARY KEY (id))"))
    conn.execute(text(f"INSERT INTO {GUARD} (id) SELECT id FROM records"))  # noqa: S608 - fixed names
    for table in REFERRING:
        conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_record_id_records"))
    conn.execute(text("UPDATE scores SET rated_at = r.rated_at FROM records r "
                      "WHERE r.id = scores.record_id AND scores.rated_at IS NULL"))
    counts = {}
    for table, model, key in (("records", Record, "id, rated_at"), ("scores", Score, "record_id, model_version, rated_at")):
        old = f"{table}_unpartitioned"
        conn.execute(text(f"ALTER TABLE {table} RENAME TO {old}"))
        conn.execute(text(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}"))
        conn.execute(text(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (rated_at)"))
        conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN rated_at SET NOT NULL"))
        for month in months:
            _create_month(conn, table, month)
        counts[table] = conn.execute(text(f"WITH moved AS (INSERT INTO {table} SELECT * FROM {old} "  # noqa: S608
                                          "RETURNING 1) SELECT count(*) FROM moved")).scalar_one()
        conn.execute(text(f"DROP TABLE {old}"))
        conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})"))
        for index in model.__table__.indexes:
            conn.execute(CreateIndex(index))
    conn.execute(text("ALTER TABLE records ADD CONSTRAINT fk_records_batch_id_batches "
                      "FOREIGN KEY (batch_id) REFERENCES batches (id)"))
    conn.execute(text("ALTER TABLE scores ADD CONSTRAINT fk_scores_model_version_model_versions "
                      "FOREIGN KEY (model_version) REFERENCES model_versions (version)"))
    for table in REFERRING:
        cascade = "" if table == "ledger_cases" else " ON DELETE CASCADE"  # a case outlives nothing it refers to
        conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_record_id_{GUARD} "
                          f"FOREIGN KEY (record_id) REFERENCES {GUARD} (id){cascade}"))
    return {"months": [str(m) for m in months], "records": counts["records"], "scores": counts["scores"]}


def sizes(conn: Connection) -> list[dict]:
    """Each month partition: table, month, estimated rows (the planner's count, after ANALYZE) and bytes on
    disk (table, indexes and TOAST)."""
    require(conn, partitioned=True)
    rows = conn.execute(text(
        "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = ANY (ARRAY[to_regclass('records'), to_regclass('scores')]) ORDER BY c.relname")).all()
    out = []
    for name, estimate, size in rows:
        parsed = parse_partition(name)
        if parsed:
            out.append({"table": parsed[0], "month": str(parsed[1]), "rows": max(int(estimate), 0),
                        "bytes": int(size)})
    return out
