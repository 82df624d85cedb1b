"""invitations

When each attendee was last invited by e-mail and how many invitations they were sent (the
queue's key counts them, so pressing a button twice sends one), when each attendee first saved
their card (what it shares), and when each account first signed in (the organizer's counts).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_in_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invited_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("invitations", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("card_set_up_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.drop_column("card_set_up_at")
        batch_op.drop_column("invitations")
        batch_op.drop_column("invited_at")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("signed_in_at")
