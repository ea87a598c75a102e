"""rollups without department and region

Revision ID: 0017
Revises: 0016

rollup_daily_unit summed over department and region (rollup_daily_channel: ~20 rows a day instead of ~600), and
rollup_monthly summed the same way (rollup_monthly_channel: ~27,000 rows a year instead of ~104,000), so a question
whose filters and split name neither (the 总览 trend, totals, KPI cards, complaint categories and top services of
a whole scope) reads far fewer rows. Filled here from the tables they sum; feedback.stats.rollups keeps them in
step from then on. The tables with department and region get an index on each before the period: a department's
or a region's question reads its own rows instead of the whole period's.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DIMS = ("day", "kind", "channel", "level", "is_default", "voided")
UNIT_INDEXED = (("rollup_daily", "day"), ("rollup_daily_unit", "day"), ("rollup_monthly", "month"),
                ("rollup_monthly_unit", "month"))
FINE_DIMS = ("month", "kind", "channel", "service_code", "service_name", "level", "is_default", "voided",
             "sentiment", "category")


def upgrade() -> None:
    op.create_table(
        "rollup_daily_channel",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_daily_channel")),
    )
    with op.batch_alter_table("rollup_daily_channel", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_daily_channel_day_kind", ["day", "kind"], unique=False)

    op.create_table(
        "rollup_monthly_channel",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("sentiment", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_monthly_channel")),
    )
    with op.batch_alter_table("rollup_monthly_channel", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_monthly_channel_category_month", ["category", "month"], unique=False)
        batch_op.create_index("ix_rollup_monthly_channel_month_kind", ["month", "kind"], unique=False)
        batch_op.create_index("ix_rollup_monthly_channel_sentiment_month", ["sentiment", "month"], unique=False)
        batch_op.create_index("ix_rollup_monthly_channel_service_code_month", ["service_code", "month"],
                              unique=False)
        batch_op.create_index("ix_rollup_monthly_channel_service_name_month", ["service_name", "month"],
                              unique=False)

    for table, period in UNIT_INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in ("dept_code", "region_code"):
                batch_op.create_index(f"ix_{table}_{col}_{period}", [col, period], unique=False)

    # the days and months already summed (an existing database keeps answering without a full refresh)
    for source, target, dims in (("rollup_daily_unit", "rollup_daily_channel", DIMS),
                                 ("rollup_monthly", "rollup_monthly_channel", FINE_DIMS)):
        cols = [*dims, "n", "projects", "hidden"]
        src = sa.table(source, *(sa.column(c) for c in cols))
        keys = [src.c[d] for d in dims]
        sums = [sa.func.sum(src.c[m]) for m in ("n", "projects", "hidden")]
        op.execute(sa.table(target, *(sa.column(c) for c in cols)).insert()
                   .from_select(cols, sa.select(*keys, *sums).group_by(*keys)))


def downgrade() -> None:
    for table, period in UNIT_INDEXED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in ("region_code", "dept_code"):
                batch_op.drop_index(f"ix_{table}_{col}_{period}")

    with op.batch_alter_table("rollup_monthly_channel", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_monthly_channel_service_name_month")
        batch_op.drop_index("ix_rollup_monthly_channel_service_code_month")
        batch_op.drop_index("ix_rollup_monthly_channel_sentiment_month")
        batch_op.drop_index("ix_rollup_monthly_channel_month_kind")
        batch_op.drop_index("ix_rollup_monthly_channel_category_month")

    op.drop_table("rollup_monthly_channel")
    with op.batch_alter_table("rollup_daily_channel", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_daily_channel_day_kind")

    op.drop_table("rollup_daily_channel")
