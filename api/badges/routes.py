"""Badges: one's own badge, scanning a badge URL, printing, single badges and reissue."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.dependencies import AttendeeMember, OrganizedEvent
from api.attendees.membership import AttendeeMembership
from api.attendees.search import attendee_filter
from api.badges import jobs, render, service
from api.badges.address import address_problem
from api.badges.schemas import (
    BadgeAddressOut,
    BadgeOut,
    Layout,
    PrintJobOut,
    PrintRequest,
    ScanOut,
)
from api.dependencies import WRITES, AppSettings, CurrentAccount, DbSession, Sessionmaker
from api.errors import Invalid
from api.models import Event

SVG = "image/svg+xml"
PNG = "image/png"
PRIVATE = {"Cache-Control": "private, no-store"}


def _disposition(name: str, suffix: str) -> str:
    """An inline Content-Disposition naming the file after the person (RFC 6266 / 5987)."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())[:60]
    ascii_slug = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode() or "badge"
    return (
        f'inline; filename="{ascii_slug}.{suffix}"; '
        f"filename*=UTF-8''{quote(slug or 'badge')}.{suffix}"
    )


class MyBadgeController(Controller):
    path = "/api/events/{slug:str}/me"
    tags = ["badges"]
    opt = {WRITES: True}  # a badge is issued on first view

    @get("/badge", summary="My badge: token, code, QR modules and the card a scan shows")
    async def my_badge(
        self, db: DbSession, event_attendee: AttendeeMember, settings: AppSettings
    ) -> BadgeOut:
        event, attendee = event_attendee.event, event_attendee.attendee
        badge = await service.active_badge(db, attendee)
        return service.describe_badge(event, attendee, badge, settings.base_url)

    @get("/badge.png", summary="My badge as a PNG")
    async def my_badge_png(
        self, db: DbSession, event_attendee: AttendeeMember, settings: AppSettings
    ) -> Response[bytes]:
        return _image(await self._data(db, event_attendee, settings.base_url), "png")

    @get("/badge.svg", summary="My badge as an SVG")
    async def my_badge_svg(
        self, db: DbSession, event_attendee: AttendeeMember, settings: AppSettings
    ) -> Response[bytes]:
        return _image(await self._data(db, event_attendee, settings.base_url), "svg")

    @staticmethod
    async def _data(
        db: AsyncSession, member: AttendeeMembership, base_url: str
    ) -> render.BadgeData:
        badge = await service.active_badge(db, member.attendee)
        return service.badge_data(member.event, member.attendee, badge, base_url)


def _image(data: render.BadgeData, format: str) -> Response[bytes]:
    if format == "svg":
        body, media = render.badge_svg(data).encode(), SVG
    else:
        body, media = render.badge_png(data), PNG
    disposition = _disposition(data.name, format)
    return Response(body, media_type=media, headers=PRIVATE | {"Content-Disposition": disposition})


class ScanController(Controller):
    path = "/api/badges"
    tags = ["badges"]

    @get("/{token:str}", summary="Whose badge this is, and what to talk about")
    async def resolve(
        self,
        token: FromPath[str],
        db: DbSession,
        account: CurrentAccount,
        lang: FromQuery[Literal["es", "en"] | None] = None,
    ) -> ScanOut:
        # The app passes the language it shows; the account's language otherwise.
        return await service.resolve_scan(db, account, token, lang or account.language)


class BadgePrintController(Controller):
    path = "/api/events/{slug:str}/badges"
    tags = ["badges"]

    @get("/address", summary="The address in the QR codes, and whether phones can open it")
    async def address(
        self, event_organizer: OrganizedEvent, settings: AppSettings
    ) -> BadgeAddressOut:
        return BadgeAddressOut(
            base_url=settings.base_url, problem=address_problem(settings.base_url)
        )

    # Badges missing from the run are issued first.
    @get("/preview", summary="The first sheet of a print run, as SVG", opt={WRITES: True})
    async def preview(
        self,
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
        layout: FromQuery[Layout] = "a4",
        q: FromQuery[Annotated[str, QueryParameter(max_length=200)]] = "",
    ) -> Response[bytes]:
        event = event_organizer.event
        badges = await service.badges_to_print(
            db,
            event,
            settings.base_url,
            attendee_filter(event, q),
            limit=render.LAYOUTS[layout].per_page,
        )
        svg = render.sheet_svg(badges, render.LAYOUTS[layout], f"{event.name}: {layout}")
        return Response(svg.encode(), media_type=SVG, headers=PRIVATE)

    @post("/jobs", status_code=202, summary="Start rendering a PDF of badge sheets")
    async def start(
        self,
        data: JSONBody[PrintRequest],
        db: DbSession,
        account: CurrentAccount,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
        sessionmaker: Sessionmaker,
    ) -> Response[PrintJobOut]:
        event = event_organizer.event
        badges = await service.badges_to_print(
            db, event, settings.base_url, attendee_filter(event, data.q), data.attendee_ids
        )
        if not badges:
            raise Invalid(
                "Nobody matches this selection, so there is nothing to print. Clear the search "
                "or choose other attendees.",
                code="nothing_to_print",
            )
        job = await jobs.create_job(db, event, account.id, data.layout, len(badges))
        task = BackgroundTask(
            jobs.run_job, sessionmaker, settings.data_dir, job.id, data.layout, event.name, badges
        )
        return Response(jobs.describe_job(job), status_code=202, background=task)

    @get("/jobs/{job_id:str}", summary="Progress of a print run")
    async def progress(
        self, job_id: FromPath[str], db: DbSession, event_organizer: OrganizedEvent
    ) -> PrintJobOut:
        return jobs.describe_job(await jobs.find_job(db, event_organizer.event, job_id))

    @get("/jobs/{job_id:str}/pdf", summary="The finished PDF of a print run")
    async def download(
        self,
        job_id: FromPath[str],
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
    ) -> File:
        event = event_organizer.event
        job = await jobs.find_job(db, event, job_id)
        return File(
            jobs.finished_file(job, settings.data_dir),
            filename=f"badges-{event.slug}-{job.layout}.pdf",
            media_type="application/pdf",
            headers=PRIVATE,
        )


class AttendeeBadgeController(Controller):
    path = "/api/events/{slug:str}/attendees/{attendee_id:int}"
    tags = ["badges"]
    opt = {WRITES: True}  # a badge is issued on first view

    @get("/badge.png", summary="One attendee's badge as a PNG")
    async def png(
        self,
        attendee_id: FromPath[int],
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
    ) -> Response[bytes]:
        event = event_organizer.event
        return _image(await self._data(db, event, attendee_id, settings.base_url), "png")

    @get("/badge.svg", summary="One attendee's badge as an SVG")
    async def svg(
        self,
        attendee_id: FromPath[int],
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
    ) -> Response[bytes]:
        event = event_organizer.event
        return _image(await self._data(db, event, attendee_id, settings.base_url), "svg")

    @staticmethod
    async def _data(
        db: AsyncSession, event: Event, attendee_id: int, base_url: str
    ) -> render.BadgeData:
        attendee = await service.attendee_in_event(db, event, attendee_id)
        return service.badge_data(
            event, attendee, await service.active_badge(db, attendee), base_url
        )

    @post("/badge/reissue", status_code=200, summary="Revoke this badge at once, issue a new one")
    async def reissue(
        self,
        attendee_id: FromPath[int],
        db: DbSession,
        event_organizer: OrganizedEvent,
        settings: AppSettings,
    ) -> BadgeOut:
        event = event_organizer.event
        attendee = await service.attendee_in_event(db, event, attendee_id)
        badge = await service.reissue_badge(db, attendee)
        return service.describe_badge(event, attendee, badge, settings.base_url)
