"""The outbox endpoint, my connections, who connected with me, and the offline directory."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from api.auth.service import hash_secret
from api.connections import directory, service
from api.connections.schemas import (
    ConnectedWithMeOut,
    ConnectionOut,
    DirectoryOut,
    SyncIn,
    SyncOut,
)
from api.dependencies import SESSION_COOKIE, AppSettings, CurrentAccount, DbSession
from api.events.service import event_for
from api.profiles.service import own_attendee
from api.ratelimit import Limiter

PRIVATE = {"Cache-Control": "private, no-store"}
log = logging.getLogger("enlace")
Search = Annotated[str, QueryParameter(max_length=200)]
# A directory version the phone holds (32-bit on PostgreSQL, like every integer column).
SinceVersion = Annotated[int | None, QueryParameter(ge=0, le=2**31 - 1)]
IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=200)]


def person_key(request: Request[Any, Any, State]) -> str:
    """Whom a rate limit counts: the session (a whole venue shares one address), else the
    address. Only a hash of the cookie is kept."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return f"session:{hash_secret(cookie)}"
    return f"address:{request.client.host if request.client else 'unknown'}"


def _directory_cache(state: State) -> directory.DirectoryCache:
    """This worker's encoded directories, made on first use."""
    cache: directory.DirectoryCache | None = state.get("directory_cache")
    if cache is None:
        cache = directory.DirectoryCache()
        state["directory_cache"] = cache
    return cache


def _outbox(state: State, database_url: str) -> service.Outbox:
    """The app's outbox writer, made on first use (it needs the engine the lifespan opened)."""
    outbox: service.Outbox | None = state.get("connections_outbox")
    if outbox is None:
        outbox = service.open_outbox(database_url, state.sessionmaker)
        state["connections_outbox"] = outbox
    return outbox


class SyncController(Controller):
    path = "/api/sync"
    tags = ["connections"]

    # No `db` or `account` dependency on purpose: the batch is applied in a transaction of its
    # own (on SQLite grouped with other requests'), which signs the cookie in itself.
    @post(status_code=200, summary="Apply the phone's outbox: each operation exactly once")
    async def sync(
        self,
        data: JSONBody[SyncIn],
        request: Request[Any, Any, State],
        state: State,
        settings: AppSettings,
    ) -> SyncOut:
        limiter: Limiter | None = state.get("rate_limiter")
        if limiter is not None:
            try:
                wait = await limiter.hit(person_key(request))
            except Exception:  # the counter's store is down: sync goes on without the limit
                log.exception("The rate limiter could not count; this request is let through")
                wait = None
            if wait is not None:
                raise TooManyRequestsException(headers={"Retry-After": str(wait)})
        outbox = _outbox(state, settings.database_url)
        results = await outbox.apply(
            service.SyncRequest(
                request.cookies.get(SESSION_COOKIE),
                data.operations,
                starters=data.starters,
                author=data.account,
            )
        )
        return SyncOut(results=results)


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
        slug: FromPath[str],
        db: DbSession,
        account: CurrentAccount,
        settings: AppSettings,
        state: State,
        if_none_match: IfNoneMatch = None,
        since: SinceVersion = None,
    ) -> Response[bytes]:
        event, _ = await event_for(db, slug, account, ("attendee",))
        me = await own_attendee(db, event, account)
        found = await directory.directory(
            db, event, me, settings.secret_key, _directory_cache(state), since, if_none_match
        )
        # Revalidated on every use: the ETag names the version, so an unchanged refresh is a 304.
        headers = {"Cache-Control": "private, no-cache", "ETag": found.etag}
        if found.body is None:
            return Response(b"", status_code=304, headers=headers)
        return Response(found.body, media_type=MediaType.JSON, headers=headers)
