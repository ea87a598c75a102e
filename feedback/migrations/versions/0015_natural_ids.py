"""record ids from the natural key; scores keyed by (record, version)

Revision ID: 0015
Revises: 0014

Ready for a distributed engine (issue "past one machine", ``docs/scale.md``):
- ``records.id`` becomes ``natural_id(source_system, record_key)`` (``feedback.models.records``): the first 8
  bytes of sha256 as a 63-bit integer. A re-ingest then conflicts on the primary key, so the old
  ``UNIQUE(source_system, record_key)`` goes (a distributed table's unique keys must hold its distribution
  column, and the id does). Every stored record gets its new id, and so do the rows that point at it: scores,
  gold labels, task links, ledger cases, and the record ids inside the tasks' evidence (JSON).
- ``scores`` loses its surrogate id: its primary key is (record_id, model_version), the old unique key.

Two stored records whose keys hash to the same id (odds about n² / 2⁶⁴: one in 200,000 for 10 million records)
stop the upgrade with a message naming them; nothing is changed then. A downgrade restores the keys of 0014 but
not the old ids.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CHILDREN = ("scores", "gold_labels", "task_records", "ledger_cases")  # tables with a record_id → records.id


def _fk(table: str) -> str:
    return f"fk_{table}_record_id_records"


def _map_ids(bind) -> None:
    """Fill ``_id_map(old_id, new_id)`` for every record, and refuse to go on when two records share a new id."""
    from feedback.models.records import NATURAL_ID_SQL, natural_id

    if bind.dialect.name == "sqlite":
        raw = bind.connection.driver_connection
        raw.create_function("haocha_natural_id", 2, natural_id, deterministic=True)
        new_id = "haocha_natural_id(source_system, record_key)"
        bind.exec_driver_sql("CREATE TEMP TABLE _id_map (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL)")
    else:
        new_id = NATURAL_ID_SQL
        bind.exec_driver_sql("CREATE TEMP TABLE _id_map (old_id BIGINT PRIMARY KEY, new_id BIGINT NOT NULL) "
                             "ON COMMIT DROP")
    bind.exec_driver_sql(f"INSERT INTO _id_map (old_id, new_id) SELECT id, {new_id} FROM records")  # noqa: S608
    clash = bind.exec_driver_sql("SELECT new_id FROM _id_map GROUP BY new_id HAVING count(*) > 1 LIMIT 5").all()
    if clash:
        raise RuntimeError(f"记录编号冲突：不同的记录算出相同的编号 {[c[0] for c in clash]}，升级已停止，数据未改动")
    bind.exec_driver_sql("CREATE INDEX _id_map_new ON _id_map (new_id)")


def _remap(bind, table: str, column: str) -> None:
    bind.exec_driver_sql(f"UPDATE {table} SET {column} = _id_map.new_id FROM _id_map "  # noqa: S608 - fixed names
                         f"WHERE _id_map.old_id = {table}.{column}")


def _remap_evidence(bind) -> None:
    """The record ids inside each task's evidence (a JSON list of representatives with ``record_id``)."""
    rows = bind.execute(sa.text("SELECT id, evidence FROM tasks WHERE evidence LIKE '%record_id%'")).all()
    for task_id, evidence in rows:
        items = json.loads(evidence)
        old = [i["record_id"] for i in items if isinstance(i, dict) and isinstance(i.get("record_id"), int)]
        if not old:
            continue
        mapping = dict(bind.execute(sa.text("SELECT old_id, new_id FROM _id_map WHERE old_id IN :ids")
                                    .bindparams(sa.bindparam("ids", expanding=True)), {"ids": old}).all())
        for item in items:
            if isinstance(item, dict) and item.get("record_id") in mapping:
                item["record_id"] = mapping[item["record_id"]]
        bind.execute(sa.text("UPDATE tasks SET evidence = :e WHERE id = :i"),
                     {"e": json.dumps(items, ensure_ascii=False), "i": task_id})


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    _map_ids(bind)
    if not sqlite:  # SQLite runs this revision with foreign keys off (feedback.db.upgrade)
        for table in CHILDREN:
            op.drop_constraint(_fk(table), table, type_="foreignkey")
    for table in CHILDREN:
        _remap(bind, table, "record_id")
    _remap(bind, "records", "id")
    _remap_evidence(bind)
    bind.exec_driver_sql("DROP TABLE _id_map") if sqlite else None

    with op.batch_alter_table("records") as batch:
        batch.drop_constraint("uq_records_source_system_record_key", type_="unique")
        # BIGINT on SQLite as well: the id is then not the rowid (see feedback.models.records)
        batch.alter_column("id", existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                           type_=sa.BigInteger(), server_default=None, existing_nullable=False)
    if not sqlite:
        bind.exec_driver_sql("DROP SEQUENCE IF EXISTS records_id_seq")
        for table in CHILDREN:
            ondelete = None if table == "ledger_cases" else "CASCADE"
            op.create_foreign_key(_fk(table), table, "records", ["record_id"], ["id"], ondelete=ondelete)

    with op.batch_alter_table("scores", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint("pk_scores", type_="primary")
        batch.drop_constraint("uq_scores_record_id_model_version", type_="unique")
        batch.drop_column("id")
        batch.create_primary_key("pk_scores", ["record_id", "model_version"])


def downgrade() -> None:
    """The keys of 0014 back (the records keep their natural ids: the old ids are not kept): scores get a
    surrogate id again, records their UNIQUE(source_system, record_key) and, on PostgreSQL, an id sequence that
    continues after the largest id."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    if sqlite:
        with op.batch_alter_table("scores", recreate="always") as batch:
            batch.drop_constraint("pk_scores", type_="primary")
            batch.add_column(sa.Column("id", big, nullable=True))
            batch.create_primary_key("pk_scores", ["id"])
            batch.create_unique_constraint("uq_scores_record_id_model_version", ["record_id", "model_version"])
    else:
        op.drop_constraint("pk_scores", "scores", type_="primary")
        bind.exec_driver_sql("ALTER TABLE scores ADD COLUMN id BIGSERIAL NOT NULL")
        op.create_primary_key("pk_scores", "scores", ["id"])
        op.create_unique_constraint("uq_scores_record_id_model_version", "scores", ["record_id", "model_version"])
        bind.exec_driver_sql("CREATE SEQUENCE records_id_seq OWNED BY records.id")
        bind.exec_driver_sql("SELECT setval('records_id_seq', greatest((SELECT max(id) FROM records), 1))")
        bind.exec_driver_sql("ALTER TABLE records ALTER COLUMN id SET DEFAULT nextval('records_id_seq')")
    with op.batch_alter_table("records") as batch:
        batch.create_unique_constraint("uq_records_source_system_record_key", ["source_system", "record_key"])
