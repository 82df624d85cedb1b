"""Who am I, and my language."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import get, patch
from litestar.params import JSONBody

from api.dependencies import CurrentAccount, DbSession
from api.events.schemas import EventSummary
from api.events.service import my_events


class MeOut(msgspec.Struct):
    email: str
    language: str
    can_create_events: bool
    events: list[EventSummary]


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    language: Literal["es", "en"]


async def describe_me(db: DbSession, account: CurrentAccount) -> MeOut:
    return MeOut(
        email=account.email,
        language=account.language,
        can_create_events=account.can_create_events,
        events=await my_events(db, account),
    )


@get("/api/me", tags=["account"], summary="The signed-in account and its events")
async def get_me(db: DbSession, account: CurrentAccount) -> MeOut:
    return await describe_me(db, account)


@patch("/api/me", tags=["account"], summary="Change my language")
async def update_me(data: JSONBody[MeUpdate], db: DbSession, account: CurrentAccount) -> MeOut:
    account.language = data.language
    return await describe_me(db, account)
