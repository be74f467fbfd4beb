"""reports: rollup refresh queued by the database itself; public responsiveness page;
an index for the staff home's daily figures

Every write that changes what a report counts (a letter's state, its sending time
or recipient; a reply, a survey answer, a logged response; a deletion) queues the
letter in rollup_pending through a trigger, whichever process or statement made
it: ORM flushes, Core bulk updates and inserts, executemany, raw SQL.
For a letter, the trigger records the representative and sending time the row
had (and has), so a deleted or moved letter's old report group is refreshed too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_QUEUE = 'INSERT INTO rollup_pending (letter_id, representative_id, sent_at)'
# Columns of a letter the reports group or count by.
_LETTER_COLUMNS = 'state, sent_at, representative_id, campaign_id, template_version_id'
# (table, columns whose change matters) for the records of responses.
_EVIDENCE = (
    ('reply', 'letter_id, kind, stance, received_at'),
    ('survey_answer', 'letter_id, answer'),
    ('logged_response', 'letter_id, stance, occurred_at'),
)

POSTGRESQL = [
    f"""
    CREATE FUNCTION rollup_queue_letter() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.sent_at IS NOT NULL THEN
            {_QUEUE} VALUES (OLD.id, OLD.representative_id, OLD.sent_at);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.sent_at IS NOT NULL AND (
            TG_OP = 'INSERT' OR OLD.sent_at IS NULL
            OR OLD.representative_id IS DISTINCT FROM NEW.representative_id
            OR OLD.sent_at IS DISTINCT FROM NEW.sent_at
        ) THEN
            {_QUEUE} VALUES (NEW.id, NEW.representative_id, NEW.sent_at);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION rollup_queue_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.letter_id IS NOT NULL THEN
            INSERT INTO rollup_pending (letter_id) VALUES (OLD.letter_id);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.letter_id IS NOT NULL
           AND (TG_OP = 'INSERT' OR OLD.letter_id IS DISTINCT FROM NEW.letter_id) THEN
            INSERT INTO rollup_pending (letter_id) VALUES (NEW.letter_id);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER rollup_queue_letter_insert AFTER INSERT ON letter FOR EACH ROW
    WHEN (NEW.sent_at IS NOT NULL) EXECUTE FUNCTION rollup_queue_letter()
    """,
    f"""
    CREATE TRIGGER rollup_queue_letter_update AFTER UPDATE OF {_LETTER_COLUMNS} ON letter
    FOR EACH ROW WHEN (OLD.sent_at IS NOT NULL OR NEW.sent_at IS NOT NULL)
    EXECUTE FUNCTION rollup_queue_letter()
    """,
    """
    CREATE TRIGGER rollup_queue_letter_delete AFTER DELETE ON letter FOR EACH ROW
    WHEN (OLD.sent_at IS NOT NULL) EXECUTE FUNCTION rollup_queue_letter()
    """,
    *(
        f"""
        CREATE TRIGGER rollup_queue_{table} AFTER INSERT OR DELETE OR UPDATE OF {columns}
        ON {table} FOR EACH ROW EXECUTE FUNCTION rollup_queue_evidence()
        """
        for table, columns in _EVIDENCE
    ),
]

SQLITE = [
    f"""
    CREATE TRIGGER rollup_queue_letter_insert AFTER INSERT ON letter FOR EACH ROW
    WHEN NEW.sent_at IS NOT NULL BEGIN
        {_QUEUE} VALUES (NEW.id, NEW.representative_id, NEW.sent_at);
    END
    """,
    f"""
    CREATE TRIGGER rollup_queue_letter_update AFTER UPDATE OF {_LETTER_COLUMNS} ON letter
    FOR EACH ROW WHEN OLD.sent_at IS NOT NULL OR NEW.sent_at IS NOT NULL BEGIN
        {_QUEUE} SELECT OLD.id, OLD.representative_id, OLD.sent_at
            WHERE OLD.sent_at IS NOT NULL;
        {_QUEUE} SELECT NEW.id, NEW.representative_id, NEW.sent_at
            WHERE NEW.sent_at IS NOT NULL AND (OLD.sent_at IS NULL
                OR OLD.representative_id IS NOT NEW.representative_id
                OR OLD.sent_at IS NOT NEW.sent_at);
    END
    """,
    f"""
    CREATE TRIGGER rollup_queue_letter_delete AFTER DELETE ON letter FOR EACH ROW
    WHEN OLD.sent_at IS NOT NULL BEGIN
        {_QUEUE} VALUES (OLD.id, OLD.representative_id, OLD.sent_at);
    END
    """,
]
for _table, _columns in _EVIDENCE:
    SQLITE += [
        f"""
        CREATE TRIGGER rollup_queue_{_table}_insert AFTER INSERT ON {_table} FOR EACH ROW
        WHEN NEW.letter_id IS NOT NULL BEGIN
            INSERT INTO rollup_pending (letter_id) VALUES (NEW.letter_id);
        END
        """,
        f"""
        CREATE TRIGGER rollup_queue_{_table}_update AFTER UPDATE OF {_columns} ON {_table}
        FOR EACH ROW BEGIN
            INSERT INTO rollup_pending (letter_id) SELECT OLD.letter_id
                WHERE OLD.letter_id IS NOT NULL;
            INSERT INTO rollup_pending (letter_id) SELECT NEW.letter_id
                WHERE NEW.letter_id IS NOT NULL AND OLD.letter_id IS NOT NEW.letter_id;
        END
        """,
        f"""
        CREATE TRIGGER rollup_queue_{_table}_delete AFTER DELETE ON {_table} FOR EACH ROW
        WHEN OLD.letter_id IS NOT NULL BEGIN
            INSERT INTO rollup_pending (letter_id) VALUES (OLD.letter_id);
        END
        """,
    ]


def _triggers(dialect: str) -> list[str]:
    return POSTGRESQL if dialect == 'postgresql' else SQLITE


def upgrade():
    with op.batch_alter_table('rollup_pending', schema=None) as batch_op:
        batch_op.add_column(sa.Column('representative_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', campaign.models.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_responsiveness', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.create_index('ix_letter_event_to_state_created_at', ['to_state', 'created_at'], unique=False)

    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    names = ['rollup_queue_letter_insert', 'rollup_queue_letter_update', 'rollup_queue_letter_delete']
    if dialect == 'postgresql':
        names += [f'rollup_queue_{table}' for table, _ in _EVIDENCE]
        tables = ['letter'] * 3 + [table for table, _ in _EVIDENCE]
        for name, table in zip(names, tables):
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS rollup_queue_letter()')
        op.execute('DROP FUNCTION IF EXISTS rollup_queue_evidence()')
    else:
        names += [f'rollup_queue_{table}_{event}' for table, _ in _EVIDENCE for event in ('insert', 'update', 'delete')]
        for name in names:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')

    with op.batch_alter_table('letter_event', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_event_to_state_created_at')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('public_responsiveness')

    with op.batch_alter_table('rollup_pending', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
        batch_op.drop_column('representative_id')
