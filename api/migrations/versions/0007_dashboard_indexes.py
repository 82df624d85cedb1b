"""dashboard indexes

Covering indexes for the organizer's dashboard: check-ins by time and by place, connections by
time and by owner, so each figure is read from an index alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:35:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_checkins_event_time": (
        "checkins",
        ["event_id", "at", "outcome", "undone_at", "attendee_id"],
    ),
    "ix_checkins_event_place": (
        "checkins",
        ["event_id", "session_id", "attendee_id", "outcome", "undone_at"],
    ),
    "ix_connections_event_time": (
        "connections",
        ["event_id", "first_met_at", "removed_at", "owner_id"],
    ),
    "ix_connections_event_owner": ("connections", ["event_id", "owner_id", "removed_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
