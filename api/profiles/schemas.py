"""Profile payloads."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Shareable = Literal[
    "role", "interests", "looking_for", "can_help_with", "email", "phone", "links", "bio"
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Term = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Terms = Annotated[list[Term], msgspec.Meta(max_length=30)]
Link = Annotated[str, msgspec.Meta(max_length=300, pattern="^https?://[^\\s]+$")]
Phone = Annotated[str, msgspec.Meta(max_length=50, pattern="^[0-9+()./ -]*$")]


class ProfileOut(msgspec.Struct):
    event: str
    email: str
    name: str
    organization: str
    role: str
    phone: str
    interests: list[str]
    looking_for: list[str]
    can_help_with: list[str]
    links: list[str]
    bio: str
    shared_fields: list[str]
    # Whether the offline directory carries this card (sealed: readable only with the badge).
    offline_card: bool


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    organization: Short | UnsetType = UNSET
    role: Short | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET
    interests: Terms | UnsetType = UNSET
    looking_for: Terms | UnsetType = UNSET
    can_help_with: Terms | UnsetType = UNSET
    links: Annotated[list[Link], msgspec.Meta(max_length=10)] | UnsetType = UNSET
    bio: Annotated[str, msgspec.Meta(max_length=2000)] | UnsetType = UNSET
    shared_fields: list[Shareable] | UnsetType = UNSET
    offline_card: bool | UnsetType = UNSET
