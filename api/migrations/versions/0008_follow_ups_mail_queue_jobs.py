"""follow-ups, mail queue, jobs

Where each attendee stands in following up each connection (done, snoozed, their reminder
dates), reminders turned off per attendee, the e-mail queue the digest goes through, the
digest's schedule per event, unsubscribing from digests, and the one runner's scheduled jobs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:03:45.107953
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("claimed_until", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_jobs")),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_mail_messages_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_mail_messages_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_messages_key")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index("ix_mail_messages_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_mail_messages_event_kind", ["event_id", "kind", "status"], unique=False
        )

    op.create_table(
        "followups",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("done_at", api.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("reminders_off", sa.Boolean(), nullable=False),
        sa.Column("reminder_dates", sa.JSON(), nullable=False),
        sa.Column("changed_at", api.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_followups_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_opt_out_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_off", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("digest_queued_at", api.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("digest_queued_at")
        batch_op.drop_column("digest_at")

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.drop_column("reminders_off")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("digest_opt_out_at")

    op.drop_table("followups")
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_messages_event_kind")
        batch_op.drop_index("ix_mail_messages_due")

    op.drop_table("mail_messages")
    op.drop_table("jobs")
