"""Organizers invite imported attendees by e-mail and see how far they got."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from api.attendees.dependencies import OrganizedEvent
from api.dependencies import AppSettings, DbSession
from api.errors import Invalid
from api.invitations import service
from api.invitations.schemas import InvitationsIn, InvitationsSentOut, InvitationStatusOut
from api.models import utcnow


async def _status(db: DbSession, event_organizer: OrganizedEvent) -> InvitationStatusOut:
    counts = await service.invitation_counts(db, event_organizer.event)
    return InvitationStatusOut(
        attendees=counts.attendees,
        invited=counts.invited,
        signed_in=counts.signed_in,
        card_set_up=counts.card_set_up,
        not_invited=counts.attendees - counts.invited,
    )


class InvitationController(Controller):
    path = "/api/events/{slug:str}/invitations"
    tags = ["attendees"]

    @get("/", summary="How many attendees were invited, signed in, set up their card")
    async def status(self, db: DbSession, event_organizer: OrganizedEvent) -> InvitationStatusOut:
        return await _status(db, event_organizer)

    @post("/", status_code=200, summary="Invite attendees by e-mail (organizers)")
    async def invite(
        self,
        data: JSONBody[InvitationsIn],
        db: DbSession,
        settings: AppSettings,
        event_organizer: OrganizedEvent,
    ) -> InvitationsSentOut:
        if data.who == "chosen" and not data.attendees:
            raise Invalid(
                "Choose at least one attendee to invite.",
                code="no_attendees_chosen",
                field="attendees",
            )
        sent = await service.invite(
            db, settings, event_organizer.event, data.who, data.attendees, now=utcnow()
        )
        return InvitationsSentOut(queued=sent.queued, skipped_recent=sent.skipped_recent)
