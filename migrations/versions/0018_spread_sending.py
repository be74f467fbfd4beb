"""sending spread over the campaign: per campaign, whether each representative's
letters are spread evenly until the campaign closes, the daily ceiling per
representative, and an optional earlier moment to finish by

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-04 16:10:00

"""

from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "spread_until_close", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("spread_daily_ceiling", sa.Integer(), server_default="24", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "spread_ends_at", campaign.models.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("spread_ends_at")
        batch_op.drop_column("spread_daily_ceiling")
        batch_op.drop_column("spread_until_close")
