"""The event's attendee list for organizers, searchable by name, e-mail or organization."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from api.attendees.dependencies import OrganizedEvent
from api.attendees.schemas import AttendeePage, AttendeeRow
from api.attendees.search import list_attendees
from api.dependencies import DbSession


class AttendeeController(Controller):
    path = "/api/events/{slug:str}/attendees"
    tags = ["attendees"]

    @get("/", summary="Attendees of the event (organizers)")
    async def list_attendees(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        q: FromQuery[str] = "",
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> AttendeePage:
        total, rows = await list_attendees(db, event_organizer.event, q, offset, limit)
        return AttendeePage(total=total, items=[AttendeeRow(**row) for row in rows])
