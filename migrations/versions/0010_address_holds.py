"""letters held for a bad address, and offices' requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 06:00:00

"""

import re

from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_STATES = (
    "awaiting_confirmation",
    "held",
    "queued",
    "sending",
    "sent",
    "delivered",
    "bounced",
    "replied",
    "failed",
    "cancelled",
    "expired",
    "rejected",
)


def _state_check(states):
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _restore_letter_triggers():
    """SQLite's batch mode rebuilds `letter` and drops its triggers: put back the
    ones 0009 made, so reports still learn of every letter's change."""
    if op.get_bind().dialect.name != "sqlite":
        return
    reports = op.get_context().script.get_revision("0009").module
    for statement in reports.SQLITE:
        if re.search(r"\bON letter\b", statement):
            name = statement.split("CREATE TRIGGER ", 1)[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(statement)


def upgrade():
    op.create_table(
        "office_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", campaign.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", campaign.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('stop', 'redirect', 'web_form', 'dispute')",
            name=op.f("ck_office_request_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_office_request_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_office_request_representative_id_representative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_request")),
    )
    with op.batch_alter_table("office_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_request_representative_id"), ["representative_id"], unique=False
        )

    # A letter may now wait in `held_address`.
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_letter_state"), type_="check")
        batch_op.create_check_constraint(
            "state", _state_check(_STATES[:2] + ("held_address",) + _STATES[2:])
        )
    _restore_letter_triggers()


def downgrade():
    op.execute("UPDATE letter SET state = 'queued' WHERE state = 'held_address'")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_letter_state"), type_="check")
        batch_op.create_check_constraint("state", _state_check(_STATES))
    _restore_letter_triggers()

    with op.batch_alter_table("office_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_request_representative_id"))

    op.drop_table("office_request")
