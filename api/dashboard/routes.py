"""The organizer's dashboard of one event."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get
from litestar.params import FromQuery

from api.attendees.dependencies import OrganizedEvent
from api.dashboard.schemas import Dashboard
from api.dashboard.service import build_dashboard
from api.dependencies import CurrentAccount, DbSession


class DashboardController(Controller):
    path = "/api/events/{slug:str}/dashboard"
    tags = ["dashboard"]

    @get("/", summary="Attendance, check-ins and networking in aggregate (organizers)")
    async def dashboard(
        self,
        db: DbSession,
        account: CurrentAccount,
        event_organizer: OrganizedEvent,
        language: FromQuery[Literal["es", "en"] | None] = None,
    ) -> Dashboard:
        chosen = language or ("en" if account.language == "en" else "es")
        return await build_dashboard(db, event_organizer.event, chosen)
