"""The signed-in attendee's own profile in an event."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import FromPath, JSONBody

from api.connections.directory import refresh_directory
from api.dependencies import CurrentAccount, DbSession
from api.events.service import event_for
from api.profiles import service
from api.profiles.schemas import ProfileOut, ProfileUpdate


class ProfileController(Controller):
    path = "/api/events/{slug:str}/me"
    tags = ["profile"]

    @get("/", summary="My attendee profile in this event")
    async def get_profile(
        self, slug: FromPath[str], db: DbSession, account: CurrentAccount
    ) -> ProfileOut:
        event, _ = await event_for(db, slug, account, ("attendee",))
        return service.describe_profile(event, await service.own_attendee(db, event, account))

    @patch("/", summary="Edit my profile and what a badge scan reveals")
    async def update_profile(
        self,
        slug: FromPath[str],
        data: JSONBody[ProfileUpdate],
        db: DbSession,
        account: CurrentAccount,
    ) -> ProfileOut:
        event, _ = await event_for(db, slug, account, ("attendee",))
        attendee = await service.own_attendee(db, event, account)
        service.apply_profile_update(attendee, data)
        await refresh_directory(db, event.id, [attendee.id])
        return service.describe_profile(event, attendee)
