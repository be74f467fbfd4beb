"""letters say only what is true: the campaign's organiser, a copy of the letters on
request, limited resends of the confirmation link, postcodes and places to constituencies

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 06:30:00

"""

import sqlalchemy as sa
from alembic import op

import campaign.models.types

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organiser_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("organiser_address", sa.String(length=400), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("organiser_email", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("organiser_website", sa.String(length=300), nullable=False, server_default="")
        )

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wants_copy", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("resent_at", campaign.models.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("representative", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gender", sa.String(length=10), nullable=False, server_default="")
        )

    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.add_column(sa.Column("names", sa.JSON(), nullable=False, server_default="{}"))

    op.create_table(
        "place_constituency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("constituency", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("body_id", "key", "constituency"),
    )
    with op.batch_alter_table("place_constituency", schema=None) as batch_op:
        batch_op.create_index("ix_place_constituency_lookup", ["body_id", "key"], unique=False)


def downgrade():
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.drop_column("names")

    with op.batch_alter_table("representative", schema=None) as batch_op:
        batch_op.drop_column("gender")

    with op.batch_alter_table("place_constituency", schema=None) as batch_op:
        batch_op.drop_index("ix_place_constituency_lookup")
    op.drop_table("place_constituency")

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("resent_at")
        batch_op.drop_column("wants_copy")

    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("organiser_website")
        batch_op.drop_column("organiser_email")
        batch_op.drop_column("organiser_address")
        batch_op.drop_column("organiser_name")
