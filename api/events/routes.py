"""Event routes for organizers (create, edit, staff) and members (read)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from api.attendees.dependencies import EventMember, OrganizedEvent
from api.dependencies import CurrentAccount, DbSession
from api.events import service
from api.events.schemas import EventCreate, EventOut, EventSummary, EventUpdate, StaffIn, StaffOut


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]

    @get("/", summary="Events I organize, staff or attend")
    async def list_events(self, db: DbSession, account: CurrentAccount) -> list[EventSummary]:
        return await service.my_events(db, account)

    @post("/", summary="Create an event")
    async def create_event(
        self, data: JSONBody[EventCreate], db: DbSession, account: CurrentAccount
    ) -> EventOut:
        return await service.create_event(db, account, data)

    @get("/{slug:str}", summary="One event with its schedule and interest vocabulary")
    async def get_event(self, db: DbSession, event_member: EventMember) -> EventOut:
        return await service.describe_event(db, event_member.event, event_member.roles)

    @patch("/{slug:str}", summary="Edit an event (organizers)")
    async def update_event(
        self, data: JSONBody[EventUpdate], db: DbSession, event_organizer: OrganizedEvent
    ) -> EventOut:
        event, roles = event_organizer.event, event_organizer.roles
        return await service.update_event(db, event, roles, data)

    @get("/{slug:str}/staff", summary="Organizers and check-in staff")
    async def list_staff(self, db: DbSession, event_organizer: OrganizedEvent) -> list[StaffOut]:
        return await service.list_staff(db, event_organizer.event)

    @post("/{slug:str}/staff", summary="Add an organizer or check-in staff member")
    async def add_staff(
        self, data: JSONBody[StaffIn], db: DbSession, event_organizer: OrganizedEvent
    ) -> StaffOut:
        return await service.add_staff(db, event_organizer.event, data)
