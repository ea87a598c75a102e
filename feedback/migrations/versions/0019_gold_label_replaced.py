"""what a gold label replaced in the active score (the 待确认 queue's 撤销)

Revision ID: 0019
Revises: 0018

``gold_labels.replaced``: JSON of the active score's values the label overwrote (model_version, scored_at,
category, category_conf, subcategory, category_margin, categories, hidden_complaint), so an undo can put them
back; NULL where the label changed no score (no active version, the record unscored) and for every label stored
before this revision (those cannot be undone).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gold_labels", sa.Column("replaced", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gold_labels") as batch:
        batch.drop_column("replaced")
