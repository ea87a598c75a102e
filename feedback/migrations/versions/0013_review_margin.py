"""the review queue: the model's category margin per score, the second level of a gold label

Revision ID: 0013
Revises: 0012

- ``scores.category_margin``: the best category's confidence minus the second best's (None without a category);
  the 待确认 queue lists the smallest margins first (the classifications the model is least sure of);
- ``gold_labels.subcategory``: the second-level category a person confirmed or chose (None: first level only).

(Another branch adds 0012; on merge this revision is rechained onto it.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scores", sa.Column("category_margin", sa.Float(), nullable=True))
    op.create_index("ix_scores_model_version_margin", "scores", ["model_version", "category_margin"])
    op.add_column("gold_labels", sa.Column("subcategory", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gold_labels") as batch:
        batch.drop_column("subcategory")
    op.drop_index("ix_scores_model_version_margin", table_name="scores")
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("category_margin")
