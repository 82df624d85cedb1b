"""The outbox endpoint: the phone's offline writes, each applied exactly once."""

import logging
from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.exceptions import TooManyRequestsException
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody

from api.auth.service import hash_secret
from api.dependencies import SESSION_COOKIE, AppSettings
from api.input import OWN_BODY_CHECKS
from api.sync.engine import SyncEngine, SyncRequest
from api.sync.ratelimit import Limiter
from api.sync.schemas import author_of, sync_schemas
from api.sync.writers import SyncWriter, open_writer

log = logging.getLogger("enlace")
SYNC_PATH = "/api/sync"


def person_key(request: Request[Any, Any, State]) -> str:
    """Whom a rate limit counts: the session (a whole venue shares one address), else the
    address. Only a hash of the cookie is kept."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return f"session:{hash_secret(cookie)}"
    return f"address:{request.client.host if request.client else 'unknown'}"


def _writer(state: State, engine: SyncEngine, database_url: str) -> SyncWriter:
    """The app's sync writer, made on first use (it needs the engine the lifespan opened)."""
    writer: SyncWriter | None = state.get("sync_writer")
    if writer is None:
        writer = open_writer(engine, database_url, state.sessionmaker)
        state["sync_writer"] = writer
    return writer


def sync_route(engine: SyncEngine) -> HTTPRouteHandler:
    """POST /api/sync for the kinds registered with `engine`."""
    sync_in, sync_out = sync_schemas(engine)

    # No `db` or `account` dependency on purpose: the batch is applied in a transaction of its
    # own (on SQLite grouped with other requests'), which signs the cookie in itself.
    async def sync(data: Any, request: Any, state: Any, settings: Any) -> Any:
        limiter: Limiter | None = state.get("rate_limiter")
        if limiter is not None:
            try:
                wait = await limiter.hit(person_key(request))
            except Exception:  # the counter's store is down: sync goes on without the limit
                log.exception("The rate limiter could not count; this request is let through")
                wait = None
            if wait is not None:
                raise TooManyRequestsException(headers={"Retry-After": str(wait)})
        writer = _writer(state, engine, settings.database_url)
        cookie = request.cookies.get(SESSION_COOKIE)
        author = author_of(data.account)
        results = await writer.apply(SyncRequest(cookie, data.operations, author))
        return sync_out(results=results)

    # The body and reply types are made from the registered kinds at run time.
    sync.__annotations__ = {
        "data": JSONBody[sync_in],  # type: ignore[misc,valid-type]
        "request": Request[Any, Any, State],
        "state": State,
        "settings": AppSettings,
        "return": sync_out,
    }
    return post(
        SYNC_PATH,
        status_code=200,
        tags=["sync"],
        summary="Apply the phone's outbox: each operation exactly once",
        # Each operation is judged on its own (a NUL in one refuses that one, not the batch).
        opt={OWN_BODY_CHECKS: True},
    )(sync)
