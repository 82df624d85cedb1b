"""Posters: the rooms of an event with their QR's URL, and the printable PDF (organizers)."""

from __future__ import annotations

from datetime import date

import anyio.to_thread
from litestar import Controller, Response, get
from litestar.params import FromQuery

from api.attendees.dependencies import OrganizedEvent
from api.dependencies import WRITES, AppSettings, DbSession
from api.i18n import translate
from api.models import utcnow
from api.posters import service
from api.posters.content import check_day, default_day, poster_languages
from api.posters.render import Paper, posters_pdf
from api.posters.schemas import PostersOut

PRIVATE = {"Cache-Control": "private, no-store"}


class PosterController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["posters"]
    opt = {WRITES: True}  # a room gets its poster token the first time it is listed or printed

    @get("/posters", summary="The rooms of the schedule with their poster's URL and sessions")
    async def list_posters(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
        day: FromQuery[date | None] = None,
    ) -> PostersOut:
        event = event_organizer.event
        chosen = check_day(event, day) if day else default_day(event, utcnow())
        posters = await service.event_posters(db, event, chosen, settings.base_url)
        return service.describe_posters(event, chosen, posters)

    @get("/posters.pdf", summary="A poster per room to print: QR, room, that day's sessions")
    async def posters_pdf(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
        paper: FromQuery[Paper] = "a4",
        day: FromQuery[date | None] = None,
    ) -> Response[bytes]:
        event = event_organizer.event
        chosen = check_day(event, day) if day else default_day(event, utcnow())
        posters = await service.event_posters(db, event, chosen, settings.base_url)
        if not posters:
            raise service.no_rooms()
        title = translate(poster_languages(event)[0], "posters.document_title", event=event.name)
        # A few pages, but shaping and drawing them is CPU work: off the event loop.
        body = await anyio.to_thread.run_sync(posters_pdf, posters, paper, title)
        disposition = (
            f'attachment; filename="posters-{event.slug}-{chosen.isoformat()}-{paper}.pdf"'
        )
        return Response(
            body,
            media_type="application/pdf",
            headers=PRIVATE | {"Content-Disposition": disposition},
        )
