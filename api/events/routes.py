"""Event routes for organizers (create, edit, staff) and members (read)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody

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
    async def get_event(
        self, slug: FromPath[str], db: DbSession, account: CurrentAccount
    ) -> EventOut:
        event, roles = await service.event_for(db, slug, account)
        return await service.describe_event(db, event, roles)

    @patch("/{slug:str}", summary="Edit an event (organizers)")
    async def update_event(
        self,
        slug: FromPath[str],
        data: JSONBody[EventUpdate],
        db: DbSession,
        account: CurrentAccount,
    ) -> EventOut:
        event, roles = await service.event_for(db, slug, account, service.ORGANIZER)
        return await service.update_event(db, event, roles, data)

    @get("/{slug:str}/staff", summary="Organizers and check-in staff")
    async def list_staff(
        self, slug: FromPath[str], db: DbSession, account: CurrentAccount
    ) -> list[StaffOut]:
        event, _ = await service.event_for(db, slug, account, service.ORGANIZER)
        return await service.list_staff(db, event)

    @post("/{slug:str}/staff", summary="Add an organizer or check-in staff member")
    async def add_staff(
        self, slug: FromPath[str], data: JSONBody[StaffIn], db: DbSession, account: CurrentAccount
    ) -> StaffOut:
        event, _ = await service.event_for(db, slug, account, service.ORGANIZER)
        return await service.add_staff(db, event, data)
