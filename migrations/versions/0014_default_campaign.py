"""several public campaigns: organisers choose the one the site's old addresses serve

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Until now the public site served the first campaign: it stays the default.
    op.execute(
        "UPDATE campaign SET is_default = TRUE WHERE id = (SELECT MIN(id) FROM campaign)"
    )


def downgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("is_default")
