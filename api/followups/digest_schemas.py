"""What the digest routes take and answer. No note of anyone appears in an organizer's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

# A local date and time in the event's zone as an <input type="datetime-local"> sends it.
LocalDateTime = Annotated[
    str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$", max_length=19)
]


class DigestScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    """When the digest goes out, in the event's time zone; null cancels the schedule."""

    local_time: LocalDateTime | None


class DigestFailure(msgspec.Struct):
    """A digest the mail server refused for good: the address and the server's answer."""

    to: str
    error: str


class DigestReport(msgspec.Struct):
    sent: int
    failed: int
    queued: int
    opted_out: int
    failures: list[DigestFailure]


class DigestStatus(msgspec.Struct):
    """The schedule (local times in `timezone`) and how the sending went."""

    timezone: str
    # The organizer's chosen time, or null when none is set.
    local_time: str | None
    at: datetime | None
    # 09:00 the morning after the last day, offered when nothing is set.
    suggested_local_time: str
    queued_at: datetime | None
    # Attendees who would get one now (an account, not opted out, at least one connection).
    recipients: int
    report: DigestReport


class DigestQueued(msgspec.Struct):
    """What one "send now" (or a scheduled run) did."""

    queued: int
    already_queued: int
    opted_out: int
    without_connections: int


class DigestPreview(msgspec.Struct):
    language: str
    subject: str
    text: str
    html: str


class UnsubscribeState(msgspec.Struct):
    unsubscribed: bool
