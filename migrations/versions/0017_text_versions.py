"""varied texts: the versions drawn for each letter (letters.text_versions)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("letter") as batch_op:
        batch_op.add_column(sa.Column("text_draw", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("letter") as batch_op:
        batch_op.drop_column("text_draw")
