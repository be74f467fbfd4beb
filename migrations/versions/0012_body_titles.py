"""a body's members' title in each letter language, set by organisers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.add_column(sa.Column("titles", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.drop_column("titles")
