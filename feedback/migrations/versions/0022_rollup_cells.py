"""a cell number on the service rollups

Revision ID: 0022
Revises: 0021

``cell`` on rollup_monthly_service and rollup_quarterly_service: one 64-bit number for the row's region,
department (code and name), service (code and name) and channel, so that a period's frame by all of them (the
总览's prefetched frame) is grouped by four small columns instead of nine, two of them long names
(feedback.stats.queries.cells). On PostgreSQL a stored generated column (``hash_record_extended`` of the six
columns, computed by the database on every insert and update, so no write path sets it); on SQLite, which reads
the frame the usual way, a plain column that stays empty.
"""

import sqlalchemy as sa
from alembic import op

from feedback.models.rollups import CELL_SQL

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("rollup_monthly_service", "rollup_quarterly_service")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.add_column(table, sa.Column("cell", sa.BigInteger(), sa.Computed(CELL_SQL, persisted=True)))
        else:
            op.add_column(table, sa.Column("cell", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("cell")
