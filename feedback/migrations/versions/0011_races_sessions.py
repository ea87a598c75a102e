"""race-free ledger requests, session versions, an atomic login throttle

Revision ID: 0011
Revises: 0010

- ``ledger_requests``: a partial unique index allows one pending request of each type per case, so parallel
  requests cannot store two (SQLite and PostgreSQL both support ``WHERE`` on an index);
- ``users.session_version``: stored in the session and checked on every request; logout, a password change and
  deactivation bump it and so end every session of the user;
- ``login_throttle``: one row per ``user:NAME`` / ``ip:ADDRESS`` key, incremented atomically before a password
  is checked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # duplicates stored by the race this index closes: keep the first pending request of each type per case
    op.execute(sa.text(
        "UPDATE ledger_requests SET status = 'rejected', decided_by = 'system', decided_at = CURRENT_TIMESTAMP, "
        "decision_note = '重复的待审批申请，升级时自动驳回' WHERE status = 'pending' AND id NOT IN "
        "(SELECT MIN(id) FROM ledger_requests WHERE status = 'pending' GROUP BY case_id, type)"))
    op.create_index("uq_ledger_requests_pending", "ledger_requests", ["case_id", "type"], unique=True,
                    sqlite_where=_PENDING, postgresql_where=_PENDING)
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), as in 0010
    op.drop_column("users", "session_version")
    op.drop_index("uq_ledger_requests_pending", table_name="ledger_requests")
