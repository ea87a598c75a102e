"""daily rollup without department and region

Revision ID: 0017
Revises: 0016

rollup_daily_unit summed over department and region: ~20 rows a day instead of ~600, so a question whose filters
and split name neither (the 总览 trend, its totals and the KPI cards of a whole scope) reads a year in ~7,600
rows instead of ~214,000. Filled here from rollup_daily_unit; feedback.stats.rollups keeps it in step from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DIMS = ("day", "kind", "channel", "level", "is_default", "voided")


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

    # the days already in rollup_daily_unit (an existing database keeps answering without a full refresh)
    cols = [*DIMS, "n", "projects", "hidden"]
    unit = sa.table("rollup_daily_unit", *(sa.column(c) for c in cols))
    channel = sa.table("rollup_daily_channel", *(sa.column(c) for c in cols))
    keys = [unit.c[d] for d in DIMS]
    sums = [sa.func.sum(unit.c[m]) for m in ("n", "projects", "hidden")]
    op.execute(channel.insert().from_select(cols, sa.select(*keys, *sums).group_by(*keys)))


def downgrade() -> None:
    with op.batch_alter_table("rollup_daily_channel", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_daily_channel_day_kind")

    op.drop_table("rollup_daily_channel")
