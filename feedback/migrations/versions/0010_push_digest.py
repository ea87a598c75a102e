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
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("content_sha256")
