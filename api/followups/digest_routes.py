"""The follow-up digest: the organizer's schedule, send now, preview and report; an attendee's
own preview; unsubscribing from a digest's link (no sign-in)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, get, post, put
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, JSONBody

from api.attendees.dependencies import AttendeeMember, OrganizedEvent
from api.dependencies import AppSettings, CurrentAccount, DbSession, Sessionmaker
from api.followups import digests
from api.followups.digest_schemas import (
    DigestPreview,
    DigestQueued,
    DigestScheduleIn,
    DigestStatus,
    UnsubscribeState,
)
from api.followups.unsubscribe import digest_opted_out, unsubscribe_from_digests
from api.models import utcnow

Language = Literal["es", "en"]
# An attendee's own digest holds their notes: never kept by a shared cache or the browser's.
PRIVATE = {"cache-control": "private, no-store"}
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox"
)


class DigestController(Controller):
    path = "/api/events/{slug:str}/digest"
    tags = ["digest"]

    @get("/", summary="The digest's schedule and how the sending went (organizers)")
    async def status(self, db: DbSession, event_organizer: OrganizedEvent) -> DigestStatus:
        return await digests.digest_status(db, event_organizer.event, utcnow())

    @put("/", summary="Schedule the digest at a local time in the event's zone (organizers)")
    async def schedule(
        self, data: JSONBody[DigestScheduleIn], db: DbSession, event_organizer: OrganizedEvent
    ) -> DigestStatus:
        now = utcnow()
        await digests.set_digest_time(db, event_organizer.event, data.local_time, now)
        await db.flush()
        return await digests.digest_status(db, event_organizer.event, utcnow())

    @post("/send", status_code=200, summary="Queue the digest for everyone now (organizers)")
    async def send_now(
        self,
        db: DbSession,
        sessionmaker: Sessionmaker,
        settings: AppSettings,
        event_organizer: OrganizedEvent,
    ) -> Response[DigestQueued]:
        # The answer says who is about to get it; the queueing goes on after it, in short
        # transactions of its own (10,000 attendees took longer than a proxy waits), and the
        # report's queued count rises as it goes.
        event = event_organizer.event
        return Response(
            await digests.digest_counts(db, event),
            background=BackgroundTask(
                digests.send_digests_in_background, sessionmaker, settings, event.id, utcnow()
            ),
        )

    @get("/preview", summary="The digest with made-up people, in one language (organizers)")
    async def preview(
        self,
        settings: AppSettings,
        event_organizer: OrganizedEvent,
        language: FromQuery[Language] = "es",
    ) -> DigestPreview:
        return digests.sample_preview(settings, event_organizer.event, language)

    @get(
        "/preview.html",
        summary="The preview's HTML part as a page, for a sandboxed frame (organizers)",
        media_type="text/html",
    )
    async def preview_page(
        self,
        settings: AppSettings,
        event_organizer: OrganizedEvent,
        language: FromQuery[Language] = "es",
    ) -> Response[str]:
        found = digests.sample_preview(settings, event_organizer.event, language)
        # The mail's inline styles and nothing else (no script, no form, no request), shown in
        # a frame of this site only; api.app leaves a handler's own policy in place.
        return Response(
            found.html,
            media_type="text/html",
            headers={"content-security-policy": PREVIEW_POLICY, "x-frame-options": "SAMEORIGIN"},
        )

    @get("/mine", summary="My own digest as it would go out now (attendees)")
    async def mine(
        self,
        db: DbSession,
        settings: AppSettings,
        account: CurrentAccount,
        event_attendee: AttendeeMember,
        language: FromQuery[Language | None] = None,
    ) -> Response[DigestPreview]:
        found = await digests.my_preview(
            db,
            settings,
            event_attendee.event,
            event_attendee.attendee,
            account,
            language,
            utcnow(),
        )
        return Response(found, headers=PRIVATE)


class UnsubscribeController(Controller):
    path = "/api/unsubscribe"
    tags = ["digest"]

    @get("/{token:str}", summary="Whether a digest's unsubscribe link was used (no sign-in)")
    async def state(
        self, token: FromPath[str], db: DbSession, settings: AppSettings
    ) -> UnsubscribeState:
        return UnsubscribeState(unsubscribed=await digest_opted_out(db, settings, token))

    # RFC 8058 one-click: mail apps POST `List-Unsubscribe=One-Click` here without a session or
    # a CSRF token, so this one handler is left out of the CSRF check; the token is the proof,
    # and all it can do is stop digests. Whatever the body holds, the answer is the same.
    @post(
        "/{token:str}",
        status_code=200,
        summary="Unsubscribe from follow-up digests (RFC 8058 one-click; no sign-in)",
        opt={"exclude_from_csrf": True},
    )
    async def unsubscribe(
        self, token: FromPath[str], db: DbSession, settings: AppSettings
    ) -> UnsubscribeState:
        await unsubscribe_from_digests(db, settings, token, utcnow())
        return UnsubscribeState(unsubscribed=True)
