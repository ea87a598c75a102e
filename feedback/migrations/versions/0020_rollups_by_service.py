"""monthly and quarterly rollups by service without sentiment and category

Revision ID: 0020
Revises: 0019

rollup_monthly and rollup_quarterly summed over sentiment and category, so the whole months and quarters of a
question that needs the service with department or region but no score dimension (the 总览's prefetched frame
of a period by region, department, service and channel) read rows the database need not sum over every
sentiment and category first. Filled here from rollup_monthly and rollup_quarterly; feedback.stats.rollups keeps
them in step from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
        "is_default", "voided")
INDEXED = ("service_code", "service_name", "dept_code", "region_code")
TABLES = (("rollup_monthly_service", "month", "rollup_monthly"),
          ("rollup_quarterly_service", "quarter", "rollup_quarterly"))


def upgrade() -> None:
    for table, period, source in TABLES:
        op.create_table(
            table,
            sa.Column(
                "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
            ),
            sa.Column(period, sa.Date(), nullable=False),
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
            sa.Column("n", sa.Integer(), nullable=False),
            sa.Column("projects", sa.Integer(), nullable=False),
            sa.Column("hidden", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{period}_kind", [period, "kind"], unique=False)
            for col in INDEXED:
                batch_op.create_index(f"ix_{table}_{col}_{period}", [col, period], unique=False)

        # the periods already in the fine tables (an existing database keeps answering without a full refresh)
        cols = [*DIMS, "n", "projects", "hidden"]
        src = sa.table(source, sa.column(period, sa.Date()), *(sa.column(c) for c in cols))
        dst = sa.table(table, sa.column(period, sa.Date()), *(sa.column(c) for c in cols))
        keys = [src.c[period], *(src.c[d] for d in DIMS)]
        sums = [sa.func.sum(src.c[m]) for m in ("n", "projects", "hidden")]
        op.execute(dst.insert().from_select([period, *cols], sa.select(*keys, *sums).group_by(*keys)))


def downgrade() -> None:
    for table, period, _ in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in reversed(INDEXED):
                batch_op.drop_index(f"ix_{table}_{col}_{period}")
            batch_op.drop_index(f"ix_{table}_{period}_kind")
        op.drop_table(table)
