"""privacy and abuse: hashed sender addresses, holds, anonymisation, text removal

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('network_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_submission_ip_hash'), ['ip_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_network_hash'), ['network_hash'], unique=False)

    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_removed_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True))

    # Existing bodies ask for no city, as before.
    with op.batch_alter_table('body', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_city', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('body', schema=None) as batch_op:
        batch_op.drop_column('requires_city')

    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('text_removed_at')

    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_network_hash'))
        batch_op.drop_index(batch_op.f('ix_submission_ip_hash'))
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('network_hash')
        batch_op.drop_column('ip_hash')
