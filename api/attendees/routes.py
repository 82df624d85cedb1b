"""The event's attendees for organizers: the list (searchable by name, e-mail or organization,
paged), one person, correcting their registration, removing someone who met nobody."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.attendees import manage
from api.attendees.dependencies import OrganizedEvent
from api.attendees.schemas import AttendeeDetail, AttendeeEdit, AttendeePage, AttendeeRow
from api.attendees.search import list_attendees
from api.badges.service import attendee_in_event
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

    @get("/{attendee_id:int}", summary="One attendee: registration, card, progress, badge")
    async def one(
        self, attendee_id: FromPath[int], db: DbSession, event_organizer: OrganizedEvent
    ) -> AttendeeDetail:
        attendee = await attendee_in_event(db, event_organizer.event, attendee_id)
        return await manage.attendee_detail(db, attendee)

    @patch("/{attendee_id:int}", summary="Correct an attendee's registration (organizers)")
    async def edit(
        self,
        attendee_id: FromPath[int],
        data: JSONBody[AttendeeEdit],
        db: DbSession,
        event_organizer: OrganizedEvent,
    ) -> AttendeeDetail:
        attendee = await attendee_in_event(db, event_organizer.event, attendee_id)
        await manage.edit_attendee(db, attendee, data)
        return await manage.attendee_detail(db, attendee)

    @delete(
        "/{attendee_id:int}",
        status_code=204,
        summary="Remove an attendee who has no connections (organizers)",
    )
    async def remove(
        self, attendee_id: FromPath[int], db: DbSession, event_organizer: OrganizedEvent
    ) -> None:
        attendee = await attendee_in_event(db, event_organizer.event, attendee_id)
        await manage.remove_attendee(db, event_organizer.event, attendee)
