"""pushed batches keep the digest of their records

Revision ID: 0010
Revises: 0009

A push is idempotent per account + batch_id (batches.file_sha256). The digest of its records lets a resend under
the same batch_id with other records be refused instead of being answered with the first batch's result.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("content_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # a plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): batch mode would copy and drop ``batches``, which the
    # records' foreign keys forbid
    op.drop_column("batches", "content_sha256")
