"""Poster payloads: the rooms of an event with the URL their QR carries."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class PosterSessionOut(msgspec.Struct):
    title: str
    starts_at: datetime
    ends_at: datetime
    starts: str  # "09:30", in the event's time zone
    ends: str


class PosterRoomOut(msgspec.Struct):
    room: str
    url: str
    sessions: list[PosterSessionOut]


class PostersOut(msgspec.Struct):
    day: date
    days: list[date]
    timezone: str
    rooms: list[PosterRoomOut]
