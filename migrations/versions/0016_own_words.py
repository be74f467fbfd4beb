"""the supporter's own words: a campaign's questions and similarity settings, the
signatures of personal paragraphs, and each submission's likeness to earlier ones

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import campaign.models.types


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "own_words_settings",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("answers_required", sa.Boolean(), nullable=False),
        sa.Column("similarity_threshold", sa.Float(), nullable=False),
        sa.Column("similarity_min_matches", sa.Integer(), nullable=False),
        sa.Column("updated_at", campaign.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_own_words_settings_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_own_words_settings")),
    )
    op.create_table(
        "paragraph_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", campaign.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", campaign.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_paragraph_signature_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_paragraph_signature_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["supporter.id"],
            name=op.f("fk_paragraph_signature_supporter_id_supporter"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paragraph_signature")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_paragraph_signature_submission_id")),
    )
    with op.batch_alter_table("paragraph_signature", schema=None) as batch_op:
        batch_op.create_index(
            "ix_paragraph_signature_campaign_confirmed",
            ["campaign_id", "confirmed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_paragraph_signature_supporter_id"), ["supporter_id"], unique=False
        )

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paragraph_similarity", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("paragraph_matches", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("paragraph_matches")
        batch_op.drop_column("paragraph_similarity")

    with op.batch_alter_table("paragraph_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paragraph_signature_supporter_id"))
        batch_op.drop_index("ix_paragraph_signature_campaign_confirmed")

    op.drop_table("paragraph_signature")
    op.drop_table("own_words_settings")
