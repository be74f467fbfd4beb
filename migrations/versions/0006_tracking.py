"""tracking: delivery events, replies, surveys, logged responses, address flags, rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

UTC = campaign.models.types.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index('ix_letter_representative_sent_at', ['representative_id', 'sent_at'], unique=False)

    op.create_table('delivery_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sg_event_id', sa.String(length=100), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False, server_default=''),
    sa.Column('reason', sa.String(length=500), nullable=False, server_default=''),
    sa.Column('sg_message_id', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', UTC, nullable=True),
    sa.Column('received_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('payload', sa.JSON(), nullable=False, server_default='{}'),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_delivery_event_letter_id_letter'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_event')),
    sa.UniqueConstraint('sg_event_id', name=op.f('uq_delivery_event_sg_event_id'))
    )
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_event_letter_id'), ['letter_id'], unique=False)

    op.create_table('reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('received_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('from_addr', sa.String(length=320), nullable=False, server_default=''),
    sa.Column('from_name', sa.String(length=200), nullable=False, server_default=''),
    sa.Column('subject', sa.Text(), nullable=False, server_default=''),
    sa.Column('message_id', sa.Text(), nullable=False, server_default=''),
    sa.Column('text', sa.Text(), nullable=False, server_default=''),
    sa.Column('own_text', sa.Text(), nullable=False, server_default=''),
    sa.Column('html', sa.Text(), nullable=False, server_default=''),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('classified_kind', sa.String(length=16), nullable=True),
    sa.Column('classification_reason', sa.String(length=300), nullable=False, server_default=''),
    sa.Column('bounce', sa.String(length=8), nullable=False, server_default=''),
    sa.Column('stance', sa.String(length=20), nullable=True),
    sa.Column('matched_by', sa.String(length=20), nullable=False, server_default=''),
    sa.Column('parse_error', sa.String(length=300), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=False, server_default=''),
    sa.Column('dedupe_key', sa.String(length=100), nullable=False),
    sa.Column('forward_status', sa.String(length=16), nullable=False, server_default=''),
    sa.Column('forward_attempts', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('forward_claimed_at', UTC, nullable=True),
    sa.Column('forwarded_at', UTC, nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC, nullable=True),
    sa.CheckConstraint("kind IN ('human', 'automatic', 'bounce')", name=op.f('ck_reply_kind')),
    sa.CheckConstraint("stance IN ('supportive', 'non_committal', 'opposed')", name=op.f('ck_reply_stance')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_reply_letter_id_letter'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_reply_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_reply_dedupe_key'))
    )
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_letter_id'), ['letter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_kind'), ['kind'], unique=False)

    op.create_table('survey_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supporter_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('sent_at', UTC, nullable=True),
    sa.Column('reminder_sent_at', UTC, nullable=True),
    sa.Column('answered_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['supporter_id'], ['supporter.id'], name=op.f('fk_survey_invitation_supporter_id_supporter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitation'))
    )
    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitation_supporter_id'), ['supporter_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False, server_default=''),
    sa.Column('answered_at', UTC, nullable=True),
    sa.CheckConstraint("answer IN ('yes', 'no', 'automatic', 'not_yet')", name=op.f('ck_survey_answer_answer')),
    sa.ForeignKeyConstraint(['invitation_id'], ['survey_invitation.id'], name=op.f('fk_survey_answer_invitation_id_survey_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_survey_answer_letter_id_letter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer')),
    sa.UniqueConstraint('letter_id', name=op.f('uq_survey_answer_letter_id'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_invitation_id'), ['invitation_id'], unique=False)

    op.create_table('logged_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('stance', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=False, server_default=''),
    sa.Column('occurred_at', UTC, nullable=False),
    sa.Column('created_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel IN ('phone', 'letter', 'email', 'meeting', 'other')", name=op.f('ck_logged_response_channel')),
    sa.CheckConstraint("stance IN ('supportive', 'non_committal', 'opposed')", name=op.f('ck_logged_response_stance')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_logged_response_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_logged_response_letter_id_letter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logged_response'))
    )
    with op.batch_alter_table('logged_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logged_response_letter_id'), ['letter_id'], unique=False)

    op.create_table('address_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False, server_default=''),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('last_seen_at', UTC, nullable=False, server_default=sa.func.current_timestamp()),
    sa.Column('resolved_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['representative_id'], ['representative.id'], name=op.f('fk_address_flag_representative_id_representative'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_flag')),
    sa.UniqueConstraint('representative_id', 'email', name=op.f('uq_address_flag_representative_id_email'))
    )
    with op.batch_alter_table('address_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_flag_representative_id'), ['representative_id'], unique=False)

    counters = ('sent', 'delivered', 'bounced', 'replied', 'replied_captured', 'replied_surveyed',
                'replied_logged', 'automatic', 'supportive', 'non_committal', 'opposed')
    op.create_table('response_rollup',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('template_version_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False, server_default='0') for name in counters],
    sa.PrimaryKeyConstraint('campaign_id', 'representative_id', 'template_version_id', 'day', name=op.f('pk_response_rollup'))
    )
    with op.batch_alter_table('response_rollup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_rollup_representative_id'), ['representative_id', 'day'], unique=False)

    op.create_table('response_summary',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('template_version_id', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False, server_default='0') for name in counters],
    sa.PrimaryKeyConstraint('campaign_id', 'representative_id', 'template_version_id', name=op.f('pk_response_summary'))
    )

    op.create_table('response_delay',
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=False),
    sa.Column('template_version_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('first_response_at', UTC, nullable=False),
    sa.Column('delay_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('letter_id', name=op.f('pk_response_delay'))
    )
    with op.batch_alter_table('response_delay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_delay_representative_id'), ['representative_id', 'day'], unique=False)

    op.create_table('rollup_pending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_pending'))
    )


def downgrade():
    op.drop_table('rollup_pending')
    with op.batch_alter_table('response_delay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_delay_representative_id'))
    op.drop_table('response_delay')
    op.drop_table('response_summary')
    with op.batch_alter_table('response_rollup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_rollup_representative_id'))
    op.drop_table('response_rollup')
    with op.batch_alter_table('address_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_flag_representative_id'))
    op.drop_table('address_flag')
    with op.batch_alter_table('logged_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_logged_response_letter_id'))
    op.drop_table('logged_response')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_invitation_id'))
    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitation_supporter_id'))
    op.drop_table('survey_invitation')
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_kind'))
        batch_op.drop_index(batch_op.f('ix_reply_received_at'))
        batch_op.drop_index(batch_op.f('ix_reply_letter_id'))
    op.drop_table('reply')
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_event_letter_id'))
    op.drop_table('delivery_event')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_representative_sent_at')
        batch_op.drop_index(batch_op.f('ix_letter_provider_message_id'))
