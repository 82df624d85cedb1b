"""The staff's offline list and a poster's room (check-ins themselves go through /api/sync:
see api.checkin.operations)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.attendees.dependencies import StaffedEvent
from api.checkin import service
from api.checkin.schemas import PosterOut, StaffListOut
from api.dependencies import AppSettings, CurrentAccount, DbSession

PRIVATE = {"Cache-Control": "private, no-store"}


class CheckinController(Controller):
    path = "/api"
    tags = ["check-in"]

    @get(
        "/events/{slug:str}/checkin/list",
        summary="What a check-in phone keeps to answer offline (staff)",
        response_headers=PRIVATE,
    )
    async def staff_list(
        self, db: DbSession, event_staff: StaffedEvent, settings: AppSettings
    ) -> StaffListOut:
        return await service.staff_list(db, event_staff.event, settings.secret_key)

    @get("/posters/{token:str}", summary="The room behind a poster and its sessions (attendees)")
    async def poster(
        self,
        db: DbSession,
        account: CurrentAccount,
        token: Annotated[str, Parameter(max_length=200)],
    ) -> PosterOut:
        return await service.poster_for(db, token, account.email)
