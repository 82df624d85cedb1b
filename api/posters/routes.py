"""Posters: the rooms of an event with their QR's URL, and the printable PDF (organizers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import anyio.to_thread
from litestar import Controller, Response, get
from litestar.params import FromQuery, Parameter

from api.attendees.dependencies import OrganizedEvent
from api.dependencies import WRITES, AppSettings, DbSession
from api.errors import BadInput
from api.exports.filters import parse_day
from api.i18n import translate
from api.models import Event, utcnow
from api.posters import service
from api.posters.content import check_day, default_day, poster_languages
from api.posters.render import Paper, posters_pdf
from api.posters.schemas import PostersOut

PRIVATE = {"Cache-Control": "private, no-store"}
# Read here rather than by the validator, so a mistake is answered with what to type instead.
DayText = Annotated[str | None, Parameter(max_length=40)]
PaperText = Annotated[str, Parameter(max_length=40)]
PAPERS: tuple[Paper, ...] = ("a4", "letter")


def _day(event: Event, day: str | None) -> date:
    chosen = parse_day(day)
    return check_day(event, chosen) if chosen else default_day(event, utcnow())


def _paper(text: str) -> Paper:
    paper = text.strip().lower()
    if paper not in PAPERS:
        raise BadInput(f"paper must be a4 or letter (got {text[:40]!r}).", field="paper")
    return paper


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
        day: FromQuery[DayText] = None,
    ) -> PostersOut:
        event = event_organizer.event
        chosen = _day(event, day)
        posters = await service.event_posters(db, event, chosen, settings.base_url)
        return service.describe_posters(event, chosen, posters)

    @get("/posters.pdf", summary="A poster per room to print: QR, room, that day's sessions")
    async def posters_pdf(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
        paper: FromQuery[PaperText] = "a4",
        day: FromQuery[DayText] = None,
    ) -> Response[bytes]:
        event = event_organizer.event
        chosen = _day(event, day)
        paper = _paper(paper)
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
