"""The signed-in attendee's own profile in an event."""

from __future__ import annotations

from litestar import Controller, get, patch
from litestar.params import JSONBody

from api.attendees.dependencies import AttendeeMember
from api.attendees.directory import refresh_directory
from api.dependencies import DbSession
from api.profiles import service
from api.profiles.schemas import ProfileOut, ProfileUpdate


class ProfileController(Controller):
    path = "/api/events/{slug:str}/me"
    tags = ["profile"]

    @get("/", summary="My attendee profile in this event")
    async def get_profile(self, event_attendee: AttendeeMember) -> ProfileOut:
        return service.describe_profile(event_attendee.event, event_attendee.attendee)

    @patch("/", summary="Edit my profile and what a badge scan reveals")
    async def update_profile(
        self, data: JSONBody[ProfileUpdate], event_attendee: AttendeeMember, db: DbSession
    ) -> ProfileOut:
        event, attendee = event_attendee.event, event_attendee.attendee
        service.apply_profile_update(attendee, data)
        await refresh_directory(db, event.id, [attendee.id])
        return service.describe_profile(event, attendee)
