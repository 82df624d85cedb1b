"""badges outlive attendees, offline card choice

A badge now names its event and keeps its row (attendee emptied) when the attendee is deleted, so
a later scan of it answers `deleted_account`. Attendees choose whether the offline directory
carries their card.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:13:36.020618
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offline_card", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE badges SET event_id = "
        "(SELECT attendees.event_id FROM attendees WHERE attendees.id = badges.attendee_id)"
    )
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("attendee_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(batch_op.f("fk_badges_attendee_id_attendees"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_badges_event_id_events"),
            "events",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_badges_attendee_id_attendees"),
            "attendees",
            ["attendee_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    # Badges of deleted attendees cannot go back to a table where every badge has an attendee.
    op.execute("DELETE FROM badges WHERE attendee_id IS NULL")
    with op.batch_alter_table("badges", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_badges_attendee_id_attendees"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_badges_event_id_events"), type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_badges_attendee_id_attendees"),
            "attendees",
            ["attendee_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.alter_column("attendee_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("event_id")

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.drop_column("offline_card")
