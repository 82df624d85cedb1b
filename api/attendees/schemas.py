"""Attendee list payloads."""

from __future__ import annotations

import msgspec


class AttendeeRow(msgspec.Struct):
    id: int
    email: str
    name: str
    organization: str
    role: str
    ticket_type: str


class AttendeePage(msgspec.Struct):
    total: int
    items: list[AttendeeRow]
