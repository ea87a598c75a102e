"""Reads of PostgreSQL's and Citus's catalogs: the extension, the worker nodes, the tables, their foreign keys and
unique keys (from ``pg_constraint`` / ``pg_index``, what the database holds, not what the models say) and the
tables Citus already manages. All in the connection's current schema."""

from __future__ import annotations

from sqlalchemy import Connection, text

from feedback.models.distribution import ForeignKey, UniqueKey

# pg_constraint.confdeltype / confupdtype
ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def citus_version(conn: Connection) -> str | None:
    """The version of the ``citus`` extension created in this database; None when it is not created."""
    return conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = :name"),
                        {"name": "citus"}).scalar()


def citus_available(conn: Connection) -> bool:
    """Whether the server has the ``citus`` extension installed (so that CREATE EXTENSION citus can work)."""
    return conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = :name"),
                        {"name": "citus"}).first() is not None


def worker_count(conn: Connection) -> int:
    """Active Citus worker nodes (the coordinator may hold shards too when it is the only node)."""
    return int(conn.execute(text("SELECT count(*) FROM citus_get_active_worker_nodes()")).scalar_one())


def table_names(conn: Connection) -> list[str]:
    """Ordinary and partitioned tables of the current schema."""
    return list(conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "ORDER BY c.relname")).scalars())


_COLUMNS = ("ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.n)")


def foreign_keys(conn: Connection) -> list[ForeignKey]:
    """Every foreign key of the current schema's tables, columns in key order."""
    rows = conn.execute(text(
        "SELECT con.conname, t.relname, r.relname, con.confdeltype, con.confupdtype, "
        + _COLUMNS.format(keys="con.conkey", rel="con.conrelid") + ", "
        + _COLUMNS.format(keys="con.confkey", rel="con.confrelid") + " "
        "FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE con.contype = 'f' AND n.nspname = current_schema() ORDER BY t.relname, con.conname"))
    return [ForeignKey(name=name, table=table, columns=tuple(cols), referred_table=referred,
                       referred_columns=tuple(ref_cols), on_delete=ACTIONS[on_delete], on_update=ACTIONS[on_update])
            for name, table, referred, on_delete, on_update, cols, ref_cols in rows]


def unique_keys(conn: Connection) -> list[UniqueKey]:
    """Every unique index of the current schema's tables — those behind primary keys and unique constraints
    included, partial ones too — and every exclusion constraint, named as the constraint when there is one. Only
    key columns count (not INCLUDE ones); an expression is None."""
    rows = conn.execute(text(
        "SELECT coalesce(con.conname, ic.relname), t.relname, "
        "ARRAY(SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname::text END "
        "FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n) "
        "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
        "WHERE k.n <= i.indnkeyatts ORDER BY k.n) "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid "
        "WHERE (i.indisunique OR i.indisexclusion) AND n.nspname = current_schema() "
        "ORDER BY t.relname, 1"))
    return [UniqueKey(name=name, table=table, columns=tuple(cols)) for name, table, cols in rows]


def citus_tables(conn: Connection) -> dict[str, tuple[str, str | None]]:
    """Table → (citus_table_type: distributed / reference / local, distribution column or None) of the tables
    Citus manages in the current schema (the ``citus`` extension must exist)."""
    rows = conn.execute(text(
        "SELECT c.relname, ct.citus_table_type, ct.distribution_column FROM citus_tables ct "
        "JOIN pg_class c ON c.oid = ct.table_name JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema()"))
    return {name: (kind, None if column in (None, "<none>") else column) for name, kind, column in rows}


def colocation_ids(conn: Connection) -> dict[str, int]:
    """Table → Citus co-location group of the distributed tables of the current schema."""
    rows = conn.execute(text(
        "SELECT c.relname, p.colocationid FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND p.partmethod = 'h'"))
    return {name: int(group) for name, group in rows}
