"""rectification ledger cases and events

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_cases",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("verify_due", sa.Date(), nullable=False),
        sa.Column("rectify_due", sa.Date(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("rectified_at", sa.DateTime(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("revisited_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("ruling", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_ledger_cases_record_id_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cases")),
        sa.UniqueConstraint("record_id", name=op.f("uq_ledger_cases_record_id")),
    )
    with op.batch_alter_table("ledger_cases", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_cases_rated_at", ["rated_at"], unique=False)
        batch_op.create_index("ix_ledger_cases_status_rectify_due", ["status", "rectify_due"], unique=False)

    op.create_table(
        "ledger_requests",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extra_days", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["ledger_cases.id"], name=op.f("fk_ledger_requests_case_id_ledger_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_requests")),
    )
    with op.batch_alter_table("ledger_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_requests_case_id"), ["case_id"], unique=False)

    op.create_table(
        "ledger_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["ledger_cases.id"], name=op.f("fk_ledger_events_case_id_ledger_cases")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["ledger_requests.id"], name=op.f("fk_ledger_events_request_id_ledger_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_events")),
    )
    with op.batch_alter_table("ledger_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_events_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_events_case_id"))

    op.drop_table("ledger_events")
    with op.batch_alter_table("ledger_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_requests_case_id"))

    op.drop_table("ledger_requests")
    with op.batch_alter_table("ledger_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_cases_status_rectify_due")
        batch_op.drop_index("ix_ledger_cases_rated_at")

    op.drop_table("ledger_cases")
