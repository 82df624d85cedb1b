"""My connections, who connected with me, and the offline directory (writes go through
/api/sync: see api.connections.operations)."""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from api.connections import directory, service
from api.connections.schemas import (
    ConnectedWithMeOut,
    ConnectionOut,
    DirectoryOut,
)
from api.dependencies import AppSettings, CurrentAccount, DbSession
from api.events.service import event_for
from api.profiles.service import own_attendee

PRIVATE = {"Cache-Control": "private, no-store"}
log = logging.getLogger("enlace")
Search = Annotated[str, QueryParameter(max_length=200)]


class ConnectionController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["connections"]

    @get("/connections", summary="My connections, with my private notes and tags")
    async def my_connections(
        self,
        slug: FromPath[str],
        db: DbSession,
        account: CurrentAccount,
        q: FromQuery[Search] = "",
        tag: FromQuery[Search] = "",
    ) -> Response[list[ConnectionOut]]:
        event, _ = await event_for(db, slug, account, ("attendee",))
        me = await own_attendee(db, event, account)
        found = await service.my_connections(db, event, me, q, tag)
        return Response(found, headers=PRIVATE)

    @get("/connected-with-me", summary="Who connected with me (their cards only)")
    async def connected_with_me(
        self, slug: FromPath[str], db: DbSession, account: CurrentAccount
    ) -> list[ConnectedWithMeOut]:
        event, _ = await event_for(db, slug, account, ("attendee",))
        me = await own_attendee(db, event, account)
        return await service.connected_with_me(db, event, me)

    @get("/directory", summary="The event's cards for offline scans, keyed without badge tokens")
    async def directory(
        self, slug: FromPath[str], db: DbSession, account: CurrentAccount, settings: AppSettings
    ) -> Response[DirectoryOut]:
        event, _ = await event_for(db, slug, account, ("attendee",))
        me = await own_attendee(db, event, account)
        found = await directory.directory(db, event, me, settings.secret_key)
        return Response(found, headers=PRIVATE)
