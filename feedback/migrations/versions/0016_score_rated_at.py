"""scores carry their record's time: ``scores.rated_at``

Revision ID: 0016
Revises: 0015

Copied from the record (records are immutable), so the province profile can partition scores by month like
records (``haocha partition``, ``docs/scale.md``) and drop a month's scores with its records.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("rated_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE scores SET rated_at = (SELECT records.rated_at FROM records WHERE records.id = scores.record_id)")


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("rated_at")
