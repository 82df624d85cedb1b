"""Follow-up payloads: the outbox operations (done, snooze, reminders) and the list.

Operation kinds follow `api.sync.contract`; structs an older offline client may still send keep
their fields, new fields get defaults.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from api.attendees.card import CardOut
from api.connections.schemas import RowId
from api.starters.schemas import StarterOut
from api.sync.contract import Operation, OperationResult

ReminderKind = Literal["thank_you", "share", "reach_out"]


class FollowupOp(Operation, tag="followup", kw_only=True):
    """Mark one connection to do, done, or snoozed `until` a day (after the day of `at`)."""

    connection: RowId
    status: Literal["todo", "done", "snoozed"]
    until: date | None = None


class ReminderOp(Operation, tag="reminder", kw_only=True):
    """Move one reminder of one connection to `due`, or turn it off (`due` null)."""

    connection: RowId
    reminder: ReminderKind
    due: date | None


class RemindersOp(Operation, tag="reminders", kw_only=True):
    """Turn one connection's reminders off or on, or (`connection` null) all of mine."""

    connection: RowId | None
    off: bool


class ReminderOut(msgspec.Struct):
    kind: str
    due: date
    on: bool
    due_now: bool
    moved: bool


class FollowupState(msgspec.Struct):
    """Where I stand with one person, as of today in the event's time zone."""

    status: Literal["todo", "done", "snoozed"]
    done_at: datetime | None
    snoozed_until: date | None
    reminders_off: bool
    reminders: list[ReminderOut]


class FollowupResult(OperationResult, kw_only=True):
    """A follow-up operation's answer: the connection and, as of now, where I stand with it
    (`followup`); for all of my reminders at once, `reminders_off` (attendee-wide)."""

    connection: int | None = None
    followup: FollowupState | None = None
    reminders_off: bool | None = None


class FollowupStatusResult(FollowupResult, tag="followup", kw_only=True):
    pass


class ReminderResult(FollowupResult, tag="reminder", kw_only=True):
    pass


class RemindersResult(FollowupResult, tag="reminders", kw_only=True):
    pass


class DraftOut(msgspec.Struct):
    language: str
    subject: str
    body: str
    to: str | None


class FollowupOut(msgspec.Struct):
    """One person I met, with my note and tags, their shared card, and where I stand."""

    connection: int
    attendee: int
    card: CardOut
    note: str
    tags: list[str]
    first_met_at: datetime
    last_met_at: datetime
    scan_count: int
    mutual: bool
    starter: StarterOut | None
    status: Literal["todo", "done", "snoozed"]
    done_at: datetime | None
    snoozed_until: date | None
    reminders_off: bool
    reminders: list[ReminderOut]
    draft: DraftOut


class EventBrief(msgspec.Struct):
    slug: str
    name: str
    ends_on: date
    timezone: str


class FollowupListOut(msgspec.Struct):
    """My follow-up list: everyone I connected with, newest met first."""

    event: EventBrief
    today: date
    reminders_off: bool
    digest_opted_out: bool
    followups: list[FollowupOut]
