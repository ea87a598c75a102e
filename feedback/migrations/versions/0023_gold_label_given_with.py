"""gold labels given together: one answer for the same words (the 待确认 queue)

Revision ID: 0023
Revises: 0022

``gold_labels.given_with``: the id of the gold label whose answer this one shared. On the 待确认 page one click
labels every waiting record of the department with exactly the same words; the others' labels point at the
clicked record's label, so the page lists the answer once and 撤销 takes the whole answer back. NULL for a label
given alone, and for every label stored before this revision. No foreign key (SQLite cannot add one to a
table); a label deleted alone (``haocha label undo``) sets its followers' column back to NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gold_labels", sa.Column("given_with", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                           nullable=True))
    op.create_index("ix_gold_labels_given_with", "gold_labels", ["given_with"])


def downgrade() -> None:
    op.drop_index("ix_gold_labels_given_with", table_name="gold_labels")
    with op.batch_alter_table("gold_labels") as batch:
        batch.drop_column("given_with")
