"""The one wiring point: create_app(settings) builds the whole service."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.params import FromPath
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope
from sqlalchemy.exc import IntegrityError

from api.accounts.routes import get_me, update_me
from api.attendees.dependencies import MEMBERSHIP_PROVIDERS
from api.attendees.routes import AttendeeController
from api.auth.routes import SigninController
from api.badges.routes import (
    AttendeeBadgeController,
    BadgePrintController,
    MyBadgeController,
    ScanController,
)
from api.checkin.operations import CheckinKinds
from api.checkin.routes import CheckinController
from api.connections.operations import ConnectionKinds
from api.connections.routes import ConnectionController
from api.dashboard.routes import DashboardController
from api.db import create_engine, is_sqlite, session_factory, transaction
from api.dependencies import (
    AppSettings,
    provide_account,
    provide_sessionmaker,
    provide_settings,
    provide_transaction,
)
from api.errors import DomainError, NotFound, status_for
from api.events.routes import EventController
from api.exports.routes import AttendanceExportController
from api.followups.digest_routes import DigestController, UnsubscribeController
from api.followups.digests import queue_due_digests
from api.followups.operations import FollowupKinds
from api.followups.routes import FollowupController
from api.imports.routes import ImportController
from api.input import HostCheck, refuse_unstorable_input
from api.invitations.routes import InvitationController
from api.jobs import Job, run_jobs_forever
from api.mail.worker import send_due_mail
from api.models import utcnow
from api.posters.routes import PosterController
from api.profiles.routes import ProfileController
from api.settings import NODE_MODULES, Settings, load_settings
from api.starters.routes import StarterController
from api.sync.engine import SyncEngine
from api.sync.ratelimit import open_limiter
from api.sync.routes import SYNC_PATH, sync_route
from api.sync.writers import prune_sync_records

log = logging.getLogger("enlace")

# Paths the PWA routes itself; a reload or a link opened from e-mail gets the app shell.
APP_PATHS = [
    "/signin",
    "/profile",
    "/events/{rest:path}",
    "/organize",
    "/organize/{rest:path}",
    # A badge's QR: a phone's camera app opens the person's connect page in the app.
    "/b/{token:str}",
    "/B/{token:str}",
    # A room's poster: the camera app opens the self check-in page.
    "/r/{token:str}",
    "/R/{token:str}",
    # A digest's unsubscribe link: a page that says what it does, with a button (no sign-in).
    "/unsubscribe/{token:str}",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return Response(
        error_body(exc.code, exc.detail, **exc.extra),
        status_code=status_for(exc),
        media_type=MediaType.JSON,
    )


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    fields = [str(p.get("key", "")) for p in problems if isinstance(p, dict) and p.get("key")]
    messages = [
        f"{p.get('key')}: {p.get('message')}" if p.get("key") else str(p.get("message"))
        for p in problems
        if isinstance(p, dict)
    ]
    detail = "; ".join(messages) or exc.detail
    body = error_body("invalid_input", detail, field=fields[0] if fields else None)
    return Response(body, status_code=400, media_type=MediaType.JSON)


HTTP_CODES = {
    400: "invalid_input",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "error")
    detail = exc.detail
    if exc.status_code == 413:
        if request.url.path in RATE_LIMITED_PATHS:
            detail = "Too much in one request; send fewer operations at a time."
        elif request.content_type[0] == "multipart/form-data":
            detail = "The upload is too large; split the file or remove unused columns."
        else:
            detail = "The request is too large; send less at once."
    elif exc.status_code == 429:
        retry = (exc.headers or {}).get("Retry-After")
        detail = (
            f"Too many requests; wait {retry} seconds (see Retry-After) and try again."
            if retry
            else "Too many requests; wait a moment and try again."
        )
    elif exc.status_code == 403 and "CSRF" in str(exc.detail):
        code, detail = "csrf_failed", "The page is out of date; reload it and try again."
    # Headers the exception carries (RateLimit-*, Allow...) go with the answer.
    return Response(
        error_body(code, detail),
        status_code=exc.status_code,
        media_type=MediaType.JSON,
        headers=exc.headers or None,
    )


def integrity_error_handler(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    return Response(
        error_body("conflict", "That conflicts with something saved meanwhile; reload and retry."),
        status_code=409,
        media_type=MediaType.JSON,
    )


def nesting_error_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # JSON nested thousands of levels deep (no request of the app's is): refused, no traceback.
    log.warning("refused input nested too deeply on %s %s", request.method, request.url.path)
    return Response(
        error_body("invalid_input", "The JSON is nested too deeply; send plain objects and lists."),
        status_code=400,
        media_type=MediaType.JSON,
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        error_body("internal_error", "Something went wrong on our side; try again in a moment."),
        status_code=500,
        media_type=MediaType.JSON,
    )


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The before-send hook adding the security headers, HSTS when served over https."""
    fixed = dict(SECURITY_HEADERS)
    if settings.base_url.startswith("https://"):
        # A year, this host only: a browser that saw it never tries plain http here again.
        fixed["strict-transport-security"] = "max-age=31536000"

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        # A page made to be framed by the app (the digest's preview) brings its own, stricter
        # policy and framing rule; every other answer gets the locked-down defaults.
        path = scope["path"]
        framed = path.startswith("/api/events/") and path.endswith("/digest/preview.html")
        own_policy = framed and "content-security-policy" in headers
        for name, value in fixed.items():
            if not (own_policy and name == "x-frame-options"):
                headers[name] = value
        # The OpenAPI viewer pages load their own scripts; everything else is locked down.
        if not path.startswith("/schema") and not own_policy:
            headers["content-security-policy"] = CONTENT_SECURITY_POLICY
        if "cache-control" in headers:  # a handler's own (an ETag's no-cache, a download's)
            return
        if path.startswith("/api"):
            # Personal data: never kept by a browser's or a proxy's cache. The app keeps its own
            # offline copies (pwa/sw.js), emptied at sign-out.
            headers["cache-control"] = "private, no-store"
        elif path in {"/sw.js", "/", "/index.html"} or path.startswith("/vendor"):
            headers["cache-control"] = "no-cache"

    return add_security_headers


@get("/health", tags=["ops"], summary="Liveness and database check")
async def health(state: State) -> dict[str, str]:
    from sqlalchemy import text

    # On the readers' engine: a health check never waits for the write lock (see api.db).
    async with state.read_engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"status": "ok"}


# Browser code from the npm registry (package-lock.json, installed by `make install`), served
# from node_modules rather than copied into pwa/.
VENDOR_FILES = {"jsQR.js": NODE_MODULES / "jsqr" / "dist" / "jsQR.js"}


@get("/vendor/{name:str}", include_in_schema=False)
async def vendor_file(name: FromPath[str]) -> File:
    path = VENDOR_FILES.get(name)
    if path is None or not path.exists():
        raise NotFound("No such file.", code="not_found")
    return File(path, content_disposition_type="inline", media_type="text/javascript")


@get(APP_PATHS, include_in_schema=False)
async def app_shell(settings: AppSettings) -> File:
    return File(
        settings.pwa_dir / "index.html", content_disposition_type="inline", media_type="text/html"
    )


# The scheduled work, run by the one runner (api.jobs) in the server and in `enlace worker`.
# A job taking a session instead: Job("name", in_one_transaction(work), every=timedelta(...)).
JOBS: tuple[Job, ...] = (
    Job("mail", send_due_mail),
    # Digests whose scheduled time has come are queued here; the "mail" job then sends them.
    Job("digests", queue_due_digests, every=timedelta(minutes=1)),
)

PRUNE_EVERY_SECONDS = 3600
RATE_LIMITED_PATHS = frozenset({SYNC_PATH})


async def _prune_sync_records(app: Litestar, settings: Settings) -> None:
    """Forget old outbox operations now and every hour (see `Settings.sync_keep_days`)."""
    while True:
        try:
            async with transaction(app.state.sessionmaker) as db:
                before = utcnow() - timedelta(days=settings.sync_keep_days)
                pruned = await prune_sync_records(db, before)
            if pruned:
                log.info("Forgot %d outbox operations older than %s", pruned, before)
        except Exception:  # a busy or unreachable database: try again next time
            log.exception("Pruning old outbox operations failed")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


def create_app(
    settings: Settings | None = None, clock: Callable[[], float] = time.time
) -> Litestar:
    """Build the application for `settings` (read from the environment when omitted); `clock`
    (seconds since the epoch) times the rate-limit windows."""
    settings = settings or load_settings()
    # Every kind of offline write, by the domain that owns it: one outbox, one engine.
    sync_engine = SyncEngine([ConnectionKinds(), CheckinKinds(), FollowupKinds()])

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = session_factory(engine)
        # GET requests read through their own engine on SQLite (no write lock; see api.db).
        reader = create_engine(settings, True) if is_sqlite(settings.database_url) else engine
        app.state.read_engine = reader
        app.state.reader = session_factory(reader)
        # Everything loaded at start-up lives as long as the server: keep it out of the cyclic
        # garbage collector, whose full passes over it paused requests for 70-85 ms (scan p99).
        gc.collect()
        gc.freeze()
        upkeep = asyncio.create_task(_prune_sync_records(app, settings))
        # Off in tests (they run jobs themselves, with their own clock); on for `enlace serve`.
        runner = (
            asyncio.create_task(run_jobs_forever(app.state.sessionmaker, settings, JOBS))
            if settings.run_jobs
            else None
        )
        limiter = open_limiter(settings.sync_rate_per_minute, settings.redis_url, clock)
        app.state.rate_limiter = limiter
        try:
            yield
        finally:
            for task in (upkeep, runner):
                if task is not None:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
            if limiter is not None:
                await limiter.close()
            writer = app.state.get("sync_writer")
            if writer is not None:
                await writer.close()
            await engine.dispose()
            if reader is not engine:
                await reader.dispose()

    return Litestar(
        route_handlers=[
            health,
            app_shell,
            vendor_file,
            get_me,
            update_me,
            SigninController,
            EventController,
            ProfileController,
            ImportController,
            AttendeeController,
            MyBadgeController,
            ScanController,
            BadgePrintController,
            AttendeeBadgeController,
            PosterController,
            sync_route(sync_engine),
            ConnectionController,
            StarterController,
            InvitationController,
            CheckinController,
            DashboardController,
            AttendanceExportController,
            DigestController,
            UnsubscribeController,
            FollowupController,
            create_static_files_router(
                path="/", directories=[settings.pwa_dir], html_mode=True, name="pwa"
            ),
        ],
        dependencies={
            "settings": Provide(provide_settings, sync_to_thread=False),
            "sessionmaker": Provide(provide_sessionmaker, sync_to_thread=False),
            "db": Provide(provide_transaction),
            "account": Provide(provide_account),
            # The event and the signed-in person's role in it, from the `slug` path parameter.
            **{name: Provide(provider) for name, provider in MEMBERSHIP_PROVIDERS.items()},
        },
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_error_handler,
            HTTPException: http_error_handler,
            IntegrityError: integrity_error_handler,
            RecursionError: nesting_error_handler,
            Exception: internal_error_handler,
        },
        # The clock also dates "today" for follow-ups (reminders due), so tests can move it.
        state=State({"settings": settings, "clock": clock}),
        lifespan=[lifespan],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.cookie_secure,
            cookie_samesite="lax",
        ),
        middleware=[DefineMiddleware(HostCheck, allowed=settings.allowed_hosts)],
        before_request=refuse_unstorable_input,
        request_max_body_size=settings.max_request_bytes,
        before_send=[security_headers(settings)],
        openapi_config=OpenAPIConfig(title="Enlace", version="0.1.0", path="/schema"),
        debug=False,
    )
