"""offline directory sealed once, versioned

Each card of the offline directory is sealed when the attendee's card or badge changes and kept,
with a per-event version so phones fetch only what changed. Existing events get their directory
built on its first request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:02:11.402113
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directories",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_directories_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_directories")),
    )
    op.create_table(
        "directory_entries",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=True),
        sa.Column("box", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_directory_entries_attendee_id_attendees"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_directory_entries_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "key", name=op.f("pk_directory_entries")),
    )
    op.create_index(
        "ix_directory_entries_attendee",
        "directory_entries",
        ["attendee_id", "event_id", "removed"],
        unique=False,
    )
    op.create_index(
        "ix_directory_entries_event_version",
        "directory_entries",
        ["event_id", "version"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_directory_entries_event_version", table_name="directory_entries")
    op.drop_index("ix_directory_entries_attendee", table_name="directory_entries")
    op.drop_table("directory_entries")
    op.drop_table("directories")
