"""monthly rollup with services, sentiment and category

Revision ID: 0009
Revises: 0008

rollup_daily summed by calendar month, so a long period's service-level questions (the 总览 rankings' case-mix,
top 差评 services, complaint categories) read whole months instead of every day. Filled here from rollup_daily;
feedback.stats.rollups keeps it in step from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
        "is_default", "voided", "sentiment", "category")


def upgrade() -> None:
    op.create_table(
        "rollup_monthly",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("month", sa.Date(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_monthly")),
    )
    with op.batch_alter_table("rollup_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_monthly_category_month", ["category", "month"], unique=False)
        batch_op.create_index("ix_rollup_monthly_month_kind", ["month", "kind"], unique=False)
        batch_op.create_index("ix_rollup_monthly_sentiment_month", ["sentiment", "month"], unique=False)
        batch_op.create_index("ix_rollup_monthly_service_code_month", ["service_code", "month"], unique=False)
        batch_op.create_index("ix_rollup_monthly_service_name_month", ["service_name", "month"], unique=False)

    # the months already in rollup_daily (an existing database keeps answering without a full refresh)
    cols = [*DIMS, "n", "projects", "hidden"]
    daily = sa.table("rollup_daily", sa.column("day", sa.Date()), *(sa.column(c) for c in cols))
    monthly = sa.table("rollup_monthly", sa.column("month", sa.Date()), *(sa.column(c) for c in cols))
    if op.get_bind().dialect.name == "sqlite":
        month = sa.func.date(daily.c.day, "start of month")
    else:
        month = sa.cast(sa.func.date_trunc("month", daily.c.day), sa.Date())
    keys = [month, *(daily.c[d] for d in DIMS)]
    sums = [sa.func.sum(daily.c[m]) for m in ("n", "projects", "hidden")]
    op.execute(monthly.insert().from_select(["month", *cols], sa.select(*keys, *sums).group_by(*keys)))


def downgrade() -> None:
    with op.batch_alter_table("rollup_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_monthly_service_name_month")
        batch_op.drop_index("ix_rollup_monthly_service_code_month")
        batch_op.drop_index("ix_rollup_monthly_sentiment_month")
        batch_op.drop_index("ix_rollup_monthly_month_kind")
        batch_op.drop_index("ix_rollup_monthly_category_month")

    op.drop_table("rollup_monthly")
