"""The tables, shared by every domain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime, date: Date}


class Account(Base):
    """A person who can sign in; found by normalized e-mail."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="es")
    can_create_events: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the person unsubscribed from follow-up digests (from any digest's link, no
    # sign-in needed); no digest of any event is queued for them afterwards.
    digest_opt_out_at: Mapped[datetime | None]
    # When the person first signed in (an invited attendee who has, for the organizer's counts).
    signed_in_at: Mapped[datetime | None]


class SigninToken(Base):
    """A one-time sign-in link and code; only hashes are stored."""

    __tablename__ = "signin_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str] = mapped_column(String(200), default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_signin_tokens_account_created", "account_id", "created_at"),)


class LoginSession(Base):
    """A signed-in browser; the cookie holds a random value whose hash is kept here."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["es", "en"])
    # When the follow-up digest goes out (UTC; the organizer picks it in the event's time zone),
    # and when it was queued (so a second worker, or a second "send now", queues nothing).
    digest_at: Mapped[datetime | None]
    digest_queued_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EventRole(Base):
    """Organizers and check-in staff of one event."""

    __tablename__ = "event_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    __table_args__ = (UniqueConstraint("event_id", "account_id"),)


class EventSession(Base):
    """A talk or workshop in the event's schedule."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    room: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # Only the people registered for it (`session_registrations`) may be checked in.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SessionRegistration(Base):
    """Who may attend a restricted session."""

    __tablename__ = "session_registrations"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Poster(Base):
    """The QR poster at one room's door: attendees scan it to check in to the session running
    there. Its token is as unguessable as a badge's, and printing the posters again keeps it."""

    __tablename__ = "posters"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    room: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("event_id", "room"),)


class Interest(Base):
    """One entry of an event's interest vocabulary, with labels and aliases in both languages."""

    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(120))
    label_es: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (UniqueConstraint("event_id", "key"),)


class Attendee(Base):
    """A person registered for one event, matched on normalized e-mail."""

    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    language: Mapped[str] = mapped_column(String(2), default="")
    ticket_type: Mapped[str] = mapped_column(String(120), default="")
    ticket_ref: Mapped[str] = mapped_column(String(120), default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    looking_for: Mapped[list[str]] = mapped_column(JSON, default=list)
    can_help_with: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    # Fields beyond name and organization that this person lets a badge scan reveal.
    shared_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Whether the offline directory carries this person's card (only readable with their badge
    # token, see api.connections); off, a scan offline shows the card once back online.
    offline_card: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Set when the attendee edits their own profile; from then on a re-import leaves the
    # fields they own (interests, needs, offers, links, bio, phone) alone.
    profile_edited_at: Mapped[datetime | None]
    # This attendee turned every follow-up reminder of the event off.
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the organizer last invited them by e-mail, and how many invitations were queued (the
    # next one's queue key: a button pressed twice queues one).
    invited_at: Mapped[datetime | None]
    invitations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When they first saved their own card (what it shares), invited or not.
    card_set_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_attendees_email", "email"),
    )


class Badge(Base):
    """A badge token of one attendee. Reissuing revokes the old token and adds a new one."""

    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Emptied, not deleted, when the attendee is deleted: the token stays (nothing personal), so
    # people of the event who scan it later are told the person left ("deleted_account").
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    # Not a secret that signs anyone in (see DESIGN "Badge tokens"), so it is kept as is:
    # printing a badge again needs it.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_badges_attendee", "attendee_id"),
        # At most one active badge per attendee.
        Index(
            "ux_badges_active_attendee",
            "attendee_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class BadgeJob(Base):
    """A PDF of badge sheets rendered in the background, with its progress."""

    __tablename__ = "badge_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    layout: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="running")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Base):
    """Someone an attendee met: directional, one row per (event, owner, other), merged on rescan."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    first_met_at: Mapped[datetime]
    last_met_at: Mapped[datetime]
    scan_count: Mapped[int] = mapped_column(Integer, default=0)
    # Private to the owner: never shown to the other person, nor in any aggregate.
    note: Mapped[str] = mapped_column(Text, default="")
    note_revision: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Removed by its owner (hidden); a later scan restores it with its note and tags.
    removed_at: Mapped[datetime | None]

    __table_args__ = (
        # Owner first: "my connections" and "is this pair connected" both start from it.
        UniqueConstraint("owner_id", "other_id", "event_id"),
        Index("ix_connections_other", "other_id", "event_id"),
        # The dashboard's: connections per hour (and by whom) as ranges of time, and per person.
        Index("ix_connections_event_time", "event_id", "first_met_at", "removed_at", "owner_id"),
        Index("ix_connections_event_owner", "event_id", "owner_id", "removed_at"),
    )


class SyncOperation(Base):
    """An offline write already applied: its client id, a hash of its payload, and its result."""

    __tablename__ = "sync_operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # Inserted in the same savepoint as the operation's effect; the unique constraint is what
    # makes a replay (or a concurrent duplicate) apply nothing twice.
    op_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "op_id"),)


class Directory(Base):
    """An event's offline directory: its version, raised by every change of its entries."""

    __tablename__ = "directories"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Deltas are complete only from this version on: older tombstones were pruned.
    horizon: Mapped[int] = mapped_column(Integer, default=1)
    # Public (given to every phone), kept so writers need not know the server secret.
    salt: Mapped[str] = mapped_column(String(64))


class SealedEntry(Base):
    """One sealed card of an event's offline directory, kept until the card or badge changes.

    Found by `key` (derived from the badge token, see api.attendees.directory); a removed entry
    stays as a tombstone (no box) so a delta can tell phones to drop it. `version` is the
    directory version at which the entry was last added, changed or removed.
    """

    __tablename__ = "directory_entries"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Emptied when the attendee is deleted: the next refresh turns the entry into a tombstone.
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    # SHA-256 of the badge token and the card sealed: a card is sealed again only when it differs.
    digest: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str | None] = mapped_column(String(32))
    box: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_directory_entries_event_version", "event_id", "version"),
        # Serves the attendee foreign key, a refresh of some attendees, and the check for
        # entries of deleted attendees that every request makes.
        Index("ix_directory_entries_attendee", "attendee_id", "event_id", "removed"),
    )


class Checkin(Base):
    """One check-in at the entrance (`session_id` NULL) or a session, as it was made.

    Every attempt is kept, refused ones too (`outcome` names why, as ticketing check-in systems
    keep an audit trail): attendance counts the rows whose outcome is `checked_in` or `already`
    (a second check-in, kept as made) and that were not undone.
    """

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Emptied when the attendee is deleted, so aggregate attendance outlives them.
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE")
    )
    # When it happened on the phone (never later than when the server received it).
    at: Mapped[datetime]
    # badge (staff scanned it), manual (staff searched a name), poster (the attendee scanned
    # the room's poster).
    method: Mapped[str] = mapped_column(String(8))
    by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    # Made while the phone had no network (it answered from its staff list).
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    # checked_in, already, or why it was refused (a badge outcome, not_registered, no_session).
    outcome: Mapped[str] = mapped_column(String(24))
    # What was scanned, for refused attempts (the badge token as read, at most 64 characters).
    scanned: Mapped[str] = mapped_column(String(64), default="")
    # The client id of the operation that made it; an undo names it.
    op_id: Mapped[str] = mapped_column(String(36))
    undone_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_checkins_event_at", "event_id", "at"),
        Index("ix_checkins_attendee", "attendee_id", "session_id"),
        Index("ix_checkins_session", "session_id"),
        Index("ix_checkins_op", "op_id"),
        # The dashboard's: check-ins counted per quarter hour as ranges of time, and people per
        # place, each read from the index alone (10x fewer page reads than the table).
        Index("ix_checkins_event_time", "event_id", "at", "outcome", "undone_at", "attendee_id"),
        Index(
            "ix_checkins_event_place",
            "event_id",
            "session_id",
            "attendee_id",
            "outcome",
            "undone_at",
        ),
    )


class Followup(Base):
    """Where an attendee stands in following up one connection: done, snoozed, reminders.

    A row exists once the owner changed something; without one a connection is "to do" with
    the default reminders (see `api.followups.reminders`). `changed_at` is the phone time of
    the last operation applied; `changed_parts` dates each part, so an older operation synced
    late does not undo a newer change of the same part.
    """

    __tablename__ = "followups"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    # Marked done at (phone time); reminders due after it make the person "to do" again.
    done_at: Mapped[datetime | None]
    # Snoozed until this day (in the event's time zone); nothing is due for the person before it.
    snoozed_until: Mapped[date | None]
    reminders_off: Mapped[bool] = mapped_column(Boolean, default=False)
    # The owner's own dates per reminder kind ({"thank_you": "2026-12-05", "share": null}): a
    # date moves that reminder, null turns it off; kinds not named keep the default schedule.
    reminder_dates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime]
    # When each part was last changed (phone time, ISO): "status" (done, snooze), "off" (this
    # person's reminders), and each reminder kind. A late operation is stale only against a
    # newer change of the same part: a "done" made before another phone moved a reminder stands.
    changed_parts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class MailMessage(Base):
    """One e-mail in the queue; a worker sends it (SMTP, or the outbox folder) and records how.

    `key` names what the message is (`digest:EVENT:ATTENDEE`) and is unique, so queueing the
    same message twice keeps one. The queue never holds notes for anyone but their author.
    """

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text, default="")
    # Extra headers (List-Unsubscribe and List-Unsubscribe-Post for digests).
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Stable across retries, so a receiver can tell a resend after a crash from a new message.
    message_id: Mapped[str] = mapped_column(String(200))
    # queued (waiting or retrying), sending (claimed until `claimed_until`), sent, failed.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_mail_messages_due", "status", "next_attempt_at"),
        Index("ix_mail_messages_event_kind", "event_id", "kind", "status"),
    )


class Job(Base):
    """A scheduled task of the one runner; a worker claims it until `claimed_until`, so two
    workers that wake at once do not both run it."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
