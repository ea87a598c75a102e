"""daily rollups

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_daily",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_daily")),
    )
    with op.batch_alter_table("rollup_daily", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_daily_category_day", ["category", "day"], unique=False)
        batch_op.create_index("ix_rollup_daily_day_kind", ["day", "kind"], unique=False)
        batch_op.create_index("ix_rollup_daily_sentiment_day", ["sentiment", "day"], unique=False)
        batch_op.create_index("ix_rollup_daily_service_code_day", ["service_code", "day"], unique=False)
        batch_op.create_index("ix_rollup_daily_service_name_day", ["service_name", "day"], unique=False)

    op.create_table(
        "rollup_daily_unit",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_daily_unit")),
    )
    with op.batch_alter_table("rollup_daily_unit", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_daily_unit_day_kind", ["day", "kind"], unique=False)

    op.create_table(
        "rollup_monthly_unit",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_monthly_unit")),
    )
    with op.batch_alter_table("rollup_monthly_unit", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_monthly_unit_month_kind", ["month", "kind"], unique=False)

    op.create_table(
        "rollup_bad_tags",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dept_code", sa.String(length=32), nullable=True),
        sa.Column("dept_name", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("sentiment", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("tag", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_bad_tags")),
    )
    with op.batch_alter_table("rollup_bad_tags", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_bad_tags_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rollup_bad_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_bad_tags_day")

    op.drop_table("rollup_bad_tags")
    with op.batch_alter_table("rollup_monthly_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_monthly_unit_month_kind")

    op.drop_table("rollup_monthly_unit")
    with op.batch_alter_table("rollup_daily_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_daily_unit_day_kind")

    op.drop_table("rollup_daily_unit")
    with op.batch_alter_table("rollup_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_daily_service_name_day")
        batch_op.drop_index("ix_rollup_daily_service_code_day")
        batch_op.drop_index("ix_rollup_daily_sentiment_day")
        batch_op.drop_index("ix_rollup_daily_day_kind")
        batch_op.drop_index("ix_rollup_daily_category_day")

    op.drop_table("rollup_daily")
