"""My follow-up list and my contacts as files (writes go through /api/sync: see
api.followups.operations)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from litestar import Controller, Response, get
from litestar.datastructures import State

from api.attendees.dependencies import AttendeeMember
from api.dependencies import CurrentAccount, DbSession
from api.exports import contacts
from api.followups import service
from api.followups.reminders import local_day
from api.followups.schemas import FollowupListOut
from api.i18n import pick_language

# My notes and whom I met: never kept by a shared cache or the browser's.
PRIVATE = {"Cache-Control": "private, no-store"}


def now(state: State) -> datetime:
    """Now by the app's clock (tests pass one they control)."""
    return datetime.fromtimestamp(state.clock(), UTC)


def today_in(state: State, timezone: str) -> date:
    """Today in the event's time zone."""
    return local_day(now(state), timezone)


def _file(body: bytes, name: str, media_type: str) -> Response[bytes]:
    headers = PRIVATE | {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)


class FollowupController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["followups"]

    async def _list(
        self,
        db: DbSession,
        event_attendee: AttendeeMember,
        account: CurrentAccount,
        state: State,
        starters: bool = True,
    ) -> FollowupListOut:
        event, me = event_attendee.event, event_attendee.attendee
        today = today_in(state, event.timezone)
        return await service.followup_list(db, event, me, account, today, starters)

    @get("/followups", summary="My follow-up list: everyone I met, newest first, with drafts")
    async def my_followups(
        self, db: DbSession, event_attendee: AttendeeMember, account: CurrentAccount, state: State
    ) -> Response[FollowupListOut]:
        found = await self._list(db, event_attendee, account, state)
        return Response(found, headers=PRIVATE)

    @get("/connections.vcf", summary="My contacts as vCard 4.0 (only what each person shares)")
    async def contacts_vcard(
        self, db: DbSession, event_attendee: AttendeeMember, account: CurrentAccount, state: State
    ) -> Response[bytes]:
        found = await self._list(db, event_attendee, account, state, starters=False)
        language = pick_language(event_attendee.attendee.language or account.language)
        body = contacts.vcards(found, language)
        return _file(body, f"{found.event.slug}-contacts.vcf", "text/vcard")

    @get("/connections.csv", summary="My contacts as CSV (formula-safe, UTF-8 with BOM)")
    async def contacts_csv(
        self, db: DbSession, event_attendee: AttendeeMember, account: CurrentAccount, state: State
    ) -> Response[bytes]:
        found = await self._list(db, event_attendee, account, state, starters=False)
        language = pick_language(event_attendee.attendee.language or account.language)
        body = contacts.contacts_csv(found, language)
        return _file(body, f"{found.event.slug}-contacts.csv", "text/csv")

    @get("/reminders.ics", summary="My follow-up reminders as an iCalendar file")
    async def reminders_ics(
        self, db: DbSession, event_attendee: AttendeeMember, account: CurrentAccount, state: State
    ) -> Response[bytes]:
        found = await self._list(db, event_attendee, account, state, starters=False)
        language = pick_language(event_attendee.attendee.language or account.language)
        body = contacts.reminders_calendar(found, language, now(state))
        return _file(body, f"{found.event.slug}-reminders.ics", "text/calendar")
