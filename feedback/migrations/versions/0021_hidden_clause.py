"""the clause that made a hidden complaint

Revision ID: 0021
Revises: 0020

- ``scores.hidden_clause``: the clause after a turn word (但/不过/就是 …, normalised) that made a good rating a
  hidden complaint, shown beside the comment in 评价明细 so a reader sees why a five-star comment is counted as a
  complaint; None when the whole text made it, for every other record, and for scores made before this revision
  (``haocha score --all`` fills it in).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scores", sa.Column("hidden_clause", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("hidden_clause")
