"""Attendance exports for an event's organizers: CSV, XLSX and the check-ins, streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from api.attendees.dependencies import OrganizedEvent
from api.dependencies import CurrentAccount, DbSession
from api.exports import attendance
from api.exports.filters import parse_filters

CSV = "text/csv"  # the framework adds "; charset=utf-8" to text types
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Filter values are short; anything longer is refused by Litestar before it reaches us.
Filter = FromQuery[Annotated[str | None, QueryParameter(max_length=40)]]


def _download(chunks: AsyncIterator[bytes], name: str, media_type: str) -> Stream:
    return Stream(
        chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # Personal data: never kept by a shared cache or the browser's.
            "Cache-Control": "private, no-store",
        },
    )


class AttendanceExportController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["exports"]

    async def _plan(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
        status: str | None,
        session: str | None,
        day: str | None,
    ) -> attendance.AttendanceExport:
        filters = parse_filters(status, session, day)
        return await attendance.plan_export(db, event_organizer.event, filters, account.language)

    @get("/attendance.csv", summary="Attendance, one row per attendee, as CSV (streamed)")
    async def attendance_csv(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
        state: State,
        status: Filter = None,
        session: Filter = None,
        day: Filter = None,
    ) -> Stream:
        plan = await self._plan(db, event_organizer, account, status, session, day)
        return _download(
            attendance.attendance_csv(state.reader, plan),
            plan.file_name("attendance", "csv"),
            CSV,
        )

    @get("/attendance/checkins.csv", summary="Every check-in that counts, as CSV (streamed)")
    async def checkins_csv(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
        state: State,
        status: Filter = None,
        session: Filter = None,
        day: Filter = None,
    ) -> Stream:
        plan = await self._plan(db, event_organizer, account, status, session, day)
        return _download(
            attendance.checkins_csv(state.reader, plan), plan.file_name("checkins", "csv"), CSV
        )

    @get(
        "/attendance.xlsx",
        summary="Attendance and every check-in, as an XLSX workbook of two sheets",
    )
    async def attendance_xlsx(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        account: CurrentAccount,
        state: State,
        status: Filter = None,
        session: Filter = None,
        day: Filter = None,
    ) -> Stream:
        plan = await self._plan(db, event_organizer, account, status, session, day)
        return _download(
            attendance.attendance_xlsx(state.reader, plan),
            plan.file_name("attendance", "xlsx"),
            XLSX,
        )
