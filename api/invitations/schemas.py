"""Invitation payloads."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.input import RowId


class InvitationsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Whom to invite: everyone not invited yet, everyone (again), or the attendees chosen."""

    who: Literal["not_invited", "all", "chosen"]
    attendees: Annotated[list[RowId], msgspec.Meta(max_length=1000)] = []


class InvitationsSentOut(msgspec.Struct):
    """How many invitations were queued, and how many people were left out because they were
    invited minutes ago (a second press sends nothing)."""

    queued: int
    skipped_recent: int


class InvitationStatusOut(msgspec.Struct):
    """How far the event's attendees got: invited, signed in, card set up (of all attendees)."""

    attendees: int
    invited: int
    signed_in: int
    card_set_up: int
    not_invited: int
