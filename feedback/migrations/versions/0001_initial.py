"""initial schema: batches, rejects, records, watermarks

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:27:44.388138
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "batches",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_file_sha256"), ["file_sha256"], unique=False)

    op.create_table(
        "watermarks",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_watermarks")),
    )
    op.create_table(
        "records",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("project_no", sa.String(length=64), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("channel_raw", sa.String(length=64), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("level_raw", sa.String(length=32), nullable=True),
        sa.Column("level_scheme", sa.String(length=16), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("assess_number", sa.SmallInteger(), nullable=True),
        sa.Column("user_type", sa.String(length=16), nullable=True),
        sa.Column("evaluator_hash", sa.String(length=64), nullable=True),
        sa.Column("is_anonymous", sa.Boolean(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("votes_up", sa.Integer(), nullable=True),
        sa.Column("votes_down", sa.Integer(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("promised_at", sa.DateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name=op.f("fk_records_batch_id_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("source_system", "record_key", name=op.f("uq_records_source_system_record_key")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_records_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_records_dept_code_rated_at", ["dept_code", "rated_at"], unique=False)
        batch_op.create_index("ix_records_level", ["level"], unique=False)
        batch_op.create_index("ix_records_rated_at", ["rated_at"], unique=False)

    op.create_table(
        "rejects",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_rejects_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejects")),
    )
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejects_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejects_batch_id"))

    op.drop_table("rejects")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_rated_at")
        batch_op.drop_index("ix_records_level")
        batch_op.drop_index("ix_records_dept_code_rated_at")
        batch_op.drop_index(batch_op.f("ix_records_batch_id"))

    op.drop_table("records")
    op.drop_table("watermarks")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_file_sha256"))

    op.drop_table("batches")
