"""webhook delivery of alerts: when the last post failed and how many attempts it used

Revision ID: 0012
Revises: 0011

``alerts.notify_failed_at`` (the last post failed; its reason stays in ``notify_error``) and
``alerts.notify_attempts`` (attempts the last delivery used, [alerts] webhook_attempts at most): shown on 预警 and
in the alerts API, so a bot that stopped accepting messages is seen.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("notify_failed_at", sa.DateTime(), nullable=True))
    op.add_column("alerts", sa.Column("notify_attempts", sa.Integer(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), as in 0010
    op.drop_column("alerts", "notify_attempts")
    op.drop_column("alerts", "notify_failed_at")
