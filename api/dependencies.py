"""Litestar dependencies: settings, one transaction per request, the signed-in account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import MediaType, Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.service import account_for_session
from api.db import transaction
from api.models import Account
from api.settings import Settings

SESSION_COOKIE = "enlace_session"


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_sessionmaker(state: State) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = state.sessionmaker
    return factory


# A GET handler that writes (issuing a missing badge, building the directory) says so with
# `opt={WRITES: True}`; every other GET reads in a transaction that takes no write lock.
WRITES = "writes"


async def provide_transaction(
    state: State, request: Request[object, object, State]
) -> AsyncIterator[AsyncSession]:
    """Yield a session in a transaction; handlers never commit, this does, after they return."""
    # An IntegrityError (at flush or at commit) propagates unchanged and api.app maps it to 409:
    # raising another exception here would reach Litestar wrapped in an ExceptionGroup.
    read_only = request.method in {"GET", "HEAD"} and not request.route_handler.opt.get(WRITES)
    async with transaction(state.reader if read_only else state.sessionmaker) as session:
        yield session


async def provide_account(
    request: Request[object, object, State], db: NamedDependency[AsyncSession]
) -> Account:
    return await account_for_session(db, request.cookies.get(SESSION_COOKIE))


# Route handlers name their dependencies with these, so Litestar need not infer them.
DbSession = NamedDependency[AsyncSession]
CurrentAccount = NamedDependency[Account]
AppSettings = NamedDependency[Settings]
Sessionmaker = NamedDependency[async_sessionmaker[AsyncSession]]

# A validator the phone holds, for reads it revalidates on every use (a 304 when unchanged).
IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=200)]


def revalidated(body: bytes, etag: str, if_none_match: str | None) -> Response[bytes]:
    """JSON the phone revalidates on every use: a 304 with nothing when its copy is `etag`."""
    headers = {"Cache-Control": "private, no-cache", "ETag": etag}
    if if_none_match == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=MediaType.JSON, headers=headers)
