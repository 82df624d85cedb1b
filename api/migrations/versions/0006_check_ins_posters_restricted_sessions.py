"""check-ins, posters, restricted sessions

Every check-in attempt at the entrance or a session (refused ones kept with their reason), the
QR posters at rooms' doors, and sessions only their registered people may attend.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:13:43.925723
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "posters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_posters_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posters")),
        sa.UniqueConstraint("event_id", "room", name=op.f("uq_posters_event_id")),
        sa.UniqueConstraint("token", name=op.f("uq_posters_token")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("by_account_id", sa.Integer(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("scanned", sa.String(length=64), nullable=False),
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("undone_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_checkins_attendee_id_attendees"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["by_account_id"],
            ["accounts.id"],
            name=op.f("fk_checkins_by_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_checkins_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["event_sessions.id"],
            name=op.f("fk_checkins_session_id_event_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_attendee", ["attendee_id", "session_id"], unique=False)
        batch_op.create_index("ix_checkins_event_at", ["event_id", "at"], unique=False)
        batch_op.create_index("ix_checkins_op", ["op_id"], unique=False)
        batch_op.create_index("ix_checkins_session", ["session_id"], unique=False)

    op.create_table(
        "session_registrations",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_session_registrations_attendee_id_attendees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["event_sessions.id"],
            name=op.f("fk_session_registrations_session_id_event_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "attendee_id", name=op.f("pk_session_registrations")),
    )
    with op.batch_alter_table("session_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_registrations_attendee_id"), ["attendee_id"], unique=False
        )

    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restricted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("event_sessions", schema=None) as batch_op:
        batch_op.drop_column("restricted")

    with op.batch_alter_table("session_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_registrations_attendee_id"))

    op.drop_table("session_registrations")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_session")
        batch_op.drop_index("ix_checkins_op")
        batch_op.drop_index("ix_checkins_event_at")
        batch_op.drop_index("ix_checkins_attendee")

    op.drop_table("checkins")
    op.drop_table("posters")
