"""organisers: audit log, import runs, template drafts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _counter(name):
    return sa.Column(name, sa.Integer(), nullable=False, server_default='0')


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', campaign.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=320), nullable=False, server_default=''),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=False, server_default=''),
    sa.Column('changes', sa.JSON(), nullable=False, server_default='{}'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_entry_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entry_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_user_id'), ['user_id'], unique=False)

    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False, server_default='pending'),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False, server_default='{}'),
    sa.Column('parsed_on', sa.Date(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('data_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', campaign.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True),
    _counter('created'),
    _counter('updated'),
    _counter('unchanged'),
    _counter('skipped'),
    _counter('deactivated'),
    sa.Column('summary', sa.JSON(), nullable=False, server_default='{}'),
    sa.CheckConstraint("status IN ('pending', 'applied')", name=op.f('ck_import_run_status')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_import_run_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run')),
    sa.UniqueConstraint('token', name=op.f('uq_import_run_token'))
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_applied_at'), ['applied_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_run_user_id'), ['user_id'], unique=False)

    op.create_table('import_run_body',
    sa.Column('import_run_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    _counter('records'),
    _counter('created'),
    _counter('updated'),
    _counter('unchanged'),
    _counter('deactivated'),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], name=op.f('fk_import_run_body_body_id_body')),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_run.id'], name=op.f('fk_import_run_body_import_run_id_import_run')),
    sa.PrimaryKeyConstraint('import_run_id', 'body_id', name=op.f('pk_import_run_body'))
    )
    with op.batch_alter_table('import_run_body', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_body_body_id'), ['body_id'], unique=False)

    # Nullable: existing templates simply have no draft.
    with op.batch_alter_table('letter_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_subject', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('draft_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('draft_updated_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('letter_template', schema=None) as batch_op:
        batch_op.drop_column('draft_updated_at')
        batch_op.drop_column('draft_body')
        batch_op.drop_column('draft_subject')

    with op.batch_alter_table('import_run_body', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_body_body_id'))
    op.drop_table('import_run_body')

    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_run_applied_at'))
    op.drop_table('import_run')

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_user_id'))
        batch_op.drop_index('ix_audit_entry_object')
        batch_op.drop_index(batch_op.f('ix_audit_entry_created_at'))
    op.drop_table('audit_entry')
