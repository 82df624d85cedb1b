"""My connections, who connected with me, and the offline directory (writes go through
/api/sync: see api.connections.operations)."""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter

from api.attendees import directory
from api.attendees.dependencies import AttendeeMember
from api.attendees.schemas import DirectoryOut
from api.connections import service
from api.connections.schemas import ConnectedWithMeOut, ConnectionOut
from api.db import transaction
from api.dependencies import AppSettings, DbSession, IfNoneMatch, Sessionmaker

PRIVATE = {"Cache-Control": "private, no-store"}
log = logging.getLogger("enlace")
Search = Annotated[str, QueryParameter(max_length=200)]
# A directory version the phone holds (32-bit on PostgreSQL, like every integer column).
SinceVersion = Annotated[int | None, QueryParameter(ge=0, le=2**31 - 1)]


def _directory_cache(state: State) -> directory.DirectoryCache:
    """This worker's encoded directories, made on first use."""
    cache: directory.DirectoryCache | None = state.get("directory_cache")
    if cache is None:
        cache = directory.DirectoryCache()
        state["directory_cache"] = cache
    return cache


class ConnectionController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["connections"]

    @get("/connections", summary="My connections, with my private notes and tags")
    async def my_connections(
        self,
        db: DbSession,
        event_attendee: AttendeeMember,
        q: FromQuery[Search] = "",
        tag: FromQuery[Search] = "",
    ) -> Response[list[ConnectionOut]]:
        event, me = event_attendee.event, event_attendee.attendee
        found = await service.my_connections(db, event, me, q, tag)
        return Response(found, headers=PRIVATE)

    @get("/connected-with-me", summary="Who connected with me (their cards only)")
    async def connected_with_me(
        self, db: DbSession, event_attendee: AttendeeMember
    ) -> list[ConnectedWithMeOut]:
        return await service.connected_with_me(db, event_attendee.event, event_attendee.attendee)

    @get(
        "/directory",
        summary="The event's cards for offline scans, keyed without badge tokens",
        description="With `If-None-Match` the current ETag: 304. With `since` a version the "
        "server can still describe: only what changed after it (`full` false).",
        responses={
            200: ResponseSpec(data_container=DirectoryOut, description="The directory"),
            304: ResponseSpec(None, description="The phone's copy is current"),
        },
    )
    async def directory(
        self,
        db: DbSession,
        event_attendee: AttendeeMember,
        settings: AppSettings,
        state: State,
        sessionmaker: Sessionmaker,
        if_none_match: IfNoneMatch = None,
        since: SinceVersion = None,
    ) -> Response[bytes]:
        event, me = event_attendee.event, event_attendee.attendee
        cache = _directory_cache(state)
        found = await directory.directory(db, event, me, cache, since, if_none_match)
        if found is None:
            # Rare (an event's first request, people deleted since): written in a transaction
            # of its own, then read afresh, so the usual request reads without the write lock.
            async with transaction(sessionmaker) as written:
                await directory.prepare_directory(written, event.id, settings.secret_key)
            async with transaction(state.reader) as fresh:
                found = await directory.directory(
                    fresh, event, me, cache, since, if_none_match, prepared=True
                )
            assert found is not None  # built, and its deleted people tombstoned
        # Revalidated on every use: the ETag names the version, so an unchanged refresh is a 304.
        headers = {"Cache-Control": "private, no-cache", "ETag": found.etag}
        if found.body is None:
            return Response(b"", status_code=304, headers=headers)
        return Response(found.body, media_type=MediaType.JSON, headers=headers)
