"""delivery: next attempt time, fair order, indexes for dispatch and throttle rebuild

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('fair_rank', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_letter_dispatch', ['state', 'fair_rank', 'id'], unique=False)
        batch_op.create_index('ix_letter_representative_state', ['representative_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_sent_at'), ['sent_at'], unique=False)
    # Letters queued before this version are due now; the dispatcher ranks them.
    op.execute("UPDATE letter SET next_attempt_at = updated_at WHERE state IN ('queued', 'sending')")


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_sent_at'))
        batch_op.drop_index('ix_letter_representative_state')
        batch_op.drop_index('ix_letter_dispatch')
        batch_op.drop_column('fair_rank')
        batch_op.drop_column('next_attempt_at')
