"""campaign targets, sending status and throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:02:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the rows of campaigns that exist already.
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_countries', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('target_body_kinds', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('sending_status', sa.String(length=20), nullable=False, server_default='active'))
        batch_op.add_column(sa.Column('throttle_per_second', sa.Float(), nullable=False, server_default='5.0'))
        batch_op.add_column(sa.Column('throttle_rep_per_hour', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('throttle_rep_per_day', sa.Integer(), nullable=False, server_default='300'))
        batch_op.add_column(sa.Column('throttle_domain_per_minute', sa.Integer(), nullable=False, server_default='60'))
        batch_op.add_column(sa.Column('send_window_start', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('send_window_end', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('send_window_weekdays_only', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_check_constraint(
            'sending_status', "sending_status IN ('active', 'paused', 'cancelled')"
        )


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('sending_status', type_='check')
        for column in (
            'send_window_weekdays_only', 'send_window_end', 'send_window_start',
            'throttle_domain_per_minute', 'throttle_rep_per_day', 'throttle_rep_per_hour',
            'throttle_per_second', 'sending_status', 'target_body_kinds', 'target_countries',
        ):
            batch_op.drop_column(column)
