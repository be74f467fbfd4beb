"""daily digests: per campaign, the kinds of body whose letters go as one digest a
day to each representative; the digests; each letter's entry in them and its
digest; the letter states awaiting_digest and in_digest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 19:20:00

"""

import re

from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_STATES = (
    "awaiting_confirmation",
    "held",
    "held_address",
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
_DIGEST_STATES = ("awaiting_digest", "in_digest")


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
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("lead_letter_id", sa.Integer(), nullable=True),
        sa.Column("letters_count", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", campaign.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "text_removed_at", campaign.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_digest_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representative.id"],
            name=op.f("fk_digest_representative_id_representative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest")),
    )
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_digest_lead_letter_id"), ["lead_letter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_digest_representative_id"), ["representative_id"], unique=False
        )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_kinds", sa.JSON(), server_default="{}", nullable=False)
        )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_entry", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_letter_digest_id"), ["digest_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_letter_digest_id_digest"), "digest", ["digest_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_letter_state"), type_="check")
        batch_op.create_check_constraint("state", _state_check(_STATES + _DIGEST_STATES))
    _restore_letter_triggers()


def downgrade():
    # Letters waiting for a digest, or carried by one not yet sent, go singly.
    op.execute("UPDATE letter SET state = 'queued' WHERE state IN ('awaiting_digest', 'in_digest')")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_letter_state"), type_="check")
        batch_op.create_check_constraint("state", _state_check(_STATES))
        batch_op.drop_constraint(batch_op.f("fk_letter_digest_id_digest"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_letter_digest_id"))
        batch_op.drop_column("digest_id")
        batch_op.drop_column("digest_entry")
    _restore_letter_triggers()
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("digest_kinds")
    with op.batch_alter_table("digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_representative_id"))
        batch_op.drop_index(batch_op.f("ix_digest_lead_letter_id"))
        batch_op.drop_index(batch_op.f("ix_digest_campaign_id"))
    op.drop_table("digest")
