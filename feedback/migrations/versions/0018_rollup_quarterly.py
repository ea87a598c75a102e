"""quarterly rollup with services, sentiment and category

Revision ID: 0018
Revises: 0017

rollup_monthly summed by calendar quarter, so the whole quarters of a long period's service-level questions by
department and region (the 总览's prefetched frame: its rankings' case-mix, KPI cards and top services) read one
row per quarter instead of three per month. Filled here from rollup_monthly; feedback.stats.rollups keeps it in
step from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
        "is_default", "voided", "sentiment", "category")
INDEXED = ("category", "sentiment", "service_code", "service_name", "dept_code", "region_code")


def upgrade() -> None:
    op.create_table(
        "rollup_quarterly",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("quarter", sa.Date(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_quarterly")),
    )
    with op.batch_alter_table("rollup_quarterly", schema=None) as batch_op:
        batch_op.create_index("ix_rollup_quarterly_quarter_kind", ["quarter", "kind"], unique=False)
        for col in INDEXED:
            batch_op.create_index(f"ix_rollup_quarterly_{col}_quarter", [col, "quarter"], unique=False)

    # the quarters already in rollup_monthly (an existing database keeps answering without a full refresh)
    cols = [*DIMS, "n", "projects", "hidden"]
    monthly = sa.table("rollup_monthly", sa.column("month", sa.Date()), *(sa.column(c) for c in cols))
    quarterly = sa.table("rollup_quarterly", sa.column("quarter", sa.Date()), *(sa.column(c) for c in cols))
    if op.get_bind().dialect.name == "sqlite":  # the month's first day, 0-2 months back
        back = (sa.cast(sa.func.strftime("%m", monthly.c.month), sa.Integer()) - 1) % 3
        quarter = sa.func.date(monthly.c.month, sa.func.printf("-%d months", back))
    else:
        quarter = sa.cast(sa.func.date_trunc("quarter", monthly.c.month), sa.Date())
    keys = [quarter, *(monthly.c[d] for d in DIMS)]
    sums = [sa.func.sum(monthly.c[m]) for m in ("n", "projects", "hidden")]
    op.execute(quarterly.insert().from_select(["quarter", *cols], sa.select(*keys, *sums).group_by(*keys)))


def downgrade() -> None:
    with op.batch_alter_table("rollup_quarterly", schema=None) as batch_op:
        for col in reversed(INDEXED):
            batch_op.drop_index(f"ix_rollup_quarterly_{col}_quarter")
        batch_op.drop_index("ix_rollup_quarterly_quarter_kind")

    op.drop_table("rollup_quarterly")
