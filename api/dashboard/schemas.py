"""What the dashboard answers: attendance in full, networking in aggregate only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from api.dashboard.suppression import Reason, Shown


class Figure(msgspec.Struct):
    """A networking figure: `value`, or null with `suppressed` saying why it is hidden
    ("small_group": fewer than `min_group` people; "complement": it would reveal one)."""

    value: int | None
    suppressed: Reason | None = None

    @classmethod
    def of(cls, shown: Shown) -> Figure:
        return cls(shown.value, shown.suppressed)


class CheckinBin(msgspec.Struct):
    """Check-ins counted from `starts_at` (wall clock of the event, with its UTC offset) for
    `minutes` minutes."""

    starts_at: datetime
    checkins: int


class SessionAttendance(msgspec.Struct):
    id: int
    title: str
    room: str
    starts_at: datetime
    people: int


class ConnectionHour(msgspec.Struct):
    """Connections first made within the hour from `starts_at` (the event's wall clock)."""

    starts_at: datetime
    connections: Figure


class ConnectionBand(msgspec.Struct):
    """How many people made a number of connections within `band`."""

    band: Literal["0", "1-4", "5-9", "10+"]
    people: Figure


class SharedInterest(msgspec.Struct):
    """An interest and how many of the people who share their interests hold it."""

    key: str
    label: str
    people: Figure


class Networking(msgspec.Struct):
    min_group: int
    connections_per_hour: list[ConnectionHour]
    people_by_connections: list[ConnectionBand]
    shared_interests: list[SharedInterest]


class Dashboard(msgspec.Struct):
    slug: str
    name: str
    timezone: str
    generated_at: datetime
    registered: int
    checked_in: int
    bin_minutes: int
    checkins_over_time: list[CheckinBin]
    sessions: list[SessionAttendance]
    networking: Networking
