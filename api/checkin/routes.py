"""The staff's offline list and a poster's room (check-ins themselves go through /api/sync:
see api.checkin.operations)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from api.attendees.dependencies import StaffedEvent
from api.checkin import service
from api.checkin.schemas import PosterOut, StaffListOut
from api.dependencies import AppSettings, CurrentAccount, DbSession, IfNoneMatch, revalidated


class CheckinController(Controller):
    path = "/api"
    tags = ["check-in"]

    @get(
        "/events/{slug:str}/checkin/list",
        summary="What a check-in phone keeps to answer offline (staff)",
        description="With `If-None-Match` the current ETag: 304, nothing sent again.",
        responses={
            200: ResponseSpec(data_container=StaffListOut, description="The staff list"),
            304: ResponseSpec(None, description="The phone's copy is current"),
        },
    )
    async def staff_list(
        self,
        db: DbSession,
        event_staff: StaffedEvent,
        settings: AppSettings,
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        found = await service.staff_list(db, event_staff.event, settings.secret_key)
        # Revalidated on every use: a staff phone on a venue's Wi-Fi fetches it every minute.
        return revalidated(*service.encoded_list(found), if_none_match)

    @get("/posters/{token:str}", summary="The room behind a poster and its sessions (attendees)")
    async def poster(
        self,
        db: DbSession,
        account: CurrentAccount,
        token: Annotated[str, Parameter(max_length=200)],
    ) -> PosterOut:
        return await service.poster_for(db, token, account.email)
