"""Reading an attendance export's filters (from a query string or the command line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from api.errors import BadInput

Status = Literal["checked-in", "absent", "all"]
STATUSES: tuple[Status, ...] = ("checked-in", "absent", "all")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Ids are 32-bit on PostgreSQL: a larger number would fail at the driver, not as a clear 400.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class AttendanceFilters:
    """Which check-ins an export considers, and whom it lists.

    `session_id` and `day` narrow the check-ins that count (only that session, only that day in
    the event's time zone); `status` then keeps the people with (checked-in) or without (absent)
    such a check-in.
    """

    status: Status = "all"
    session_id: int | None = None
    day: date | None = None


def parse_filters(
    status: str | None = None, session: str | None = None, day: str | None = None
) -> AttendanceFilters:
    """The filters as given; a value that cannot be read is a BadInput naming its field."""
    status = (status or "all").strip()
    if status not in STATUSES:
        raise BadInput(
            f"status must be one of {', '.join(STATUSES)} (got {status[:40]!r}).", field="status"
        )
    session_id = None
    if session not in (None, ""):
        text = session.strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
            raise BadInput(
                f"session must be a session's id, a whole number (got {text[:40]!r}).",
                field="session",
            )
        session_id = int(text)
    return AttendanceFilters(status, session_id, parse_day(day))


def parse_day(day: str | None) -> date | None:
    """A day written YYYY-MM-DD (None when not given); else a BadInput naming `day`."""
    if day in (None, ""):
        return None
    text = day.strip()
    try:
        if not DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            f"day must be a date written YYYY-MM-DD, e.g. 2026-03-10 (got {text[:40]!r}).",
            field="day",
        ) from None
