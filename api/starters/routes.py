"""What a phone needs to give conversation starters for a card opened offline."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from api.attendees.dependencies import AttendeeMember
from api.dependencies import DbSession, IfNoneMatch, revalidated
from api.starters import service
from api.starters.schemas import StarterKitOut


class StarterController(Controller):
    path = "/api/events/{slug:str}"
    tags = ["connections"]

    @get(
        "/starter-kit",
        summary="The event's vocabulary, interest frequencies and phrases, and my own terms",
        description="For starters computed on the phone when a card opens offline (the same as "
        "the server's). Frequencies only of interests at least five people hold. With "
        "`If-None-Match` the current ETag: 304.",
        responses={
            200: ResponseSpec(data_container=StarterKitOut, description="The kit"),
            304: ResponseSpec(None, description="The phone's copy is current"),
        },
    )
    async def starter_kit(
        self, db: DbSession, event_attendee: AttendeeMember, if_none_match: IfNoneMatch = None
    ) -> Response[bytes]:
        kit = await service.starter_kit(db, event_attendee.event, event_attendee.attendee)
        return revalidated(*service.encoded_kit(kit), if_none_match)
