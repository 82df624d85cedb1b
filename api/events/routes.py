"""Event routes for organizers (create, edit, staff, registrations) and members (read)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from api.attendees.dependencies import EventMember, OrganizedEvent
from api.dependencies import CurrentAccount, DbSession
from api.events import registrations, service, staff
from api.events.schemas import (
    EventCreate,
    EventOut,
    EventSummary,
    EventUpdate,
    RegistrationsIn,
    RegistrationsOut,
    RoleIn,
    StaffIn,
    StaffOut,
)


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
    async def list_staff(
        self, db: DbSession, event_organizer: OrganizedEvent, account: CurrentAccount
    ) -> list[StaffOut]:
        return await staff.list_staff(db, event_organizer.event, account)

    @post("/{slug:str}/staff", summary="Add an organizer or check-in staff member")
    async def add_staff(
        self,
        data: JSONBody[StaffIn],
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
    ) -> StaffOut:
        return await staff.add_staff(db, event_organizer.event, account, data)

    @patch("/{slug:str}/staff/{role_id:int}", summary="Change an organizer's or staff's role")
    async def change_staff_role(
        self,
        role_id: FromPath[int],
        data: JSONBody[RoleIn],
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
    ) -> StaffOut:
        return await staff.change_role(db, event_organizer.event, account, role_id, data.role)

    @delete("/{slug:str}/staff/{role_id:int}", summary="Remove an organizer or staff member")
    async def remove_staff(
        self,
        role_id: FromPath[int],
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
    ) -> None:
        await staff.remove_staff(db, event_organizer.event, account, role_id)

    @get(
        "/{slug:str}/sessions/{session_id:int}/registrations",
        summary="Who is registered for a session",
    )
    async def list_registrations(
        self, session_id: FromPath[int], db: DbSession, event_organizer: OrganizedEvent
    ) -> RegistrationsOut:
        return await registrations.list_registrations(db, event_organizer.event, session_id)

    @put(
        "/{slug:str}/sessions/{session_id:int}/registrations",
        summary="Set who is registered for a (restricted) session",
    )
    async def set_registrations(
        self,
        session_id: FromPath[int],
        data: JSONBody[RegistrationsIn],
        db: DbSession,
        event_organizer: OrganizedEvent,
    ) -> RegistrationsOut:
        return await registrations.set_registrations(db, event_organizer.event, session_id, data)
