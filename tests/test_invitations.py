"""Organizers invite imported attendees by e-mail: one invitation each through the mail queue
(a real SMTP server), in the attendee's language, signing them in onto setting up their card;
never twice by accident; and the counts of invited, signed in and card set up."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.badges.tokens import display_code
from api.models import Account, Attendee, Badge, Event, MailMessage
from api.settings import Settings
from tests.conftest import add_attendee, arm_csrf, run_in_db
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    ORGANIZER,
    PEDRO,
    event_with_people,
    signed_in_client,
)
from tests.test_digest import body_of, by_recipient, deliver
from tests.test_digest import smtp as smtp
from tests.test_mail_queue import MailServer

pytestmark = pytest.mark.anyio
PATH = f"/api/events/{EVENT}/invitations"
LATE = "marta@example.org"


async def invite(settings: Settings, **body: Any) -> dict[str, Any]:
    async with signed_in_client(settings, ORGANIZER) as client:
        response = await client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def status(settings: Settings) -> dict[str, Any]:
    async with signed_in_client(settings, ORGANIZER) as client:
        response = await client.get(PATH)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def set_language(settings: Settings, email: str, language: str) -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(
            update(Attendee).where(Attendee.email == email).values(language=language)
        )

    await run_in_db(settings, work)


async def invited_longer_ago(settings: Settings, email: str, minutes: int) -> None:
    async def work(session: AsyncSession) -> None:
        moment = await session.scalar(select(Attendee.invited_at).where(Attendee.email == email))
        assert moment is not None
        await session.execute(
            update(Attendee)
            .where(Attendee.email == email)
            .values(invited_at=moment - timedelta(minutes=minutes))
        )

    await run_in_db(settings, work)


def attendee_id_of(email: str) -> Callable[[AsyncSession], Awaitable[int]]:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(select(Attendee.id).where(Attendee.email == email))
        assert found is not None, email
        return found

    return work


async def event_id_of(session: AsyncSession) -> int:
    found = await session.scalar(select(Event.id).where(Event.slug == EVENT))
    assert found is not None
    return found


def invitation_link(text: str) -> str:
    found = re.search(r"/signin\?next=%2Fevents%2F[a-z0-9-]+%2Fsetup#t=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


async def test_everyone_not_invited_gets_one_invitation_in_their_language(
    settings: Settings, smtp: MailServer
) -> None:
    tokens = await event_with_people(settings)
    await set_language(settings, PEDRO, "en")
    assert await status(settings) == {
        "attendees": 3,
        "invited": 0,
        "signed_in": 0,
        "card_set_up": 0,
        "not_invited": 3,
    }
    assert await invite(settings, who="not_invited") == {"queued": 3, "skipped_recent": 0}
    assert await deliver(settings) == 3
    mails = by_recipient(smtp)
    assert sorted(mails) == sorted([LUCIA, PEDRO, ANA])
    assert all(len(found) == 1 for found in mails.values())
    spanish, english = body_of(mails[LUCIA][0], "plain"), body_of(mails[PEDRO][0], "plain")
    assert "Congreso Abierto" in str(mails[LUCIA][0]["Subject"])
    assert "Hola, Lucía García:" in spanish and "Prepara tu tarjeta" in spanish
    assert "Hello Pedro Ruiz," in english and "Set up your card" in english
    # The badge's code to type, grouped as printed under the badge.
    code = tokens[PEDRO]
    assert f"{code[:4]}-" in english or code[:4] in english
    html = body_of(mails[PEDRO][0], "html")
    assert 'lang="en"' in html and "Sign in and set up my card" in html
    counts = await status(settings)
    assert (counts["invited"], counts["not_invited"]) == (3, 0)


async def test_pressing_again_sends_nobody_a_second_invitation(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_people(settings)
    await invite(settings, who="not_invited")
    assert await invite(settings, who="not_invited") == {"queued": 0, "skipped_recent": 0}
    assert await invite(settings, who="all") == {"queued": 0, "skipped_recent": 3}
    assert await invite(settings, who="chosen", attendees=[1, 2, 3]) == {
        "queued": 0,
        "skipped_recent": 3,
    }
    assert await deliver(settings) == 3


async def test_one_person_is_invited_again_on_purpose(settings: Settings, smtp: MailServer) -> None:
    await event_with_people(settings)
    await invite(settings, who="not_invited")
    await invited_longer_ago(settings, ANA, minutes=30)

    ana = await run_in_db(settings, attendee_id_of(ANA))
    assert await invite(settings, who="chosen", attendees=[ana]) == {
        "queued": 1,
        "skipped_recent": 0,
    }
    await deliver(settings)
    assert len(by_recipient(smtp)[ANA]) == 2

    async def keys(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(MailMessage.key).where(MailMessage.to == ANA)))

    assert sorted(await run_in_db(settings, keys)) == [
        f"invitation:1:{ana}:0",
        f"invitation:1:{ana}:1",
    ]


async def test_people_added_after_someone_was_removed_are_invited_with_their_badge_code(
    settings: Settings, smtp: MailServer
) -> None:
    # A removed attendee's badge stays, emptied: it must not stop anyone else getting a badge.
    await event_with_people(settings)
    ana = await run_in_db(settings, attendee_id_of(ANA))
    async with signed_in_client(settings, ORGANIZER) as client:
        removed = await client.delete(f"/api/events/{EVENT}/attendees/{ana}")
    assert removed.status_code == 204, removed.text
    event_id = await run_in_db(settings, event_id_of)
    await add_attendee(settings, event_id, LATE, name="Marta Llegó Tarde")

    assert await invite(settings, who="not_invited") == {"queued": 3, "skipped_recent": 0}
    assert await deliver(settings) == 3

    async def marta_badges(session: AsyncSession) -> list[str]:
        marta = await session.scalar(select(Attendee.id).where(Attendee.email == LATE))
        tokens = await session.scalars(
            select(Badge.token).where(Badge.attendee_id == marta, Badge.revoked_at.is_(None))
        )
        return list(tokens)

    [token] = await run_in_db(settings, marta_badges)
    assert display_code(token) in body_of(by_recipient(smtp)[LATE][0], "plain")


async def test_the_link_signs_in_onto_the_card_set_up_and_the_counts_follow(
    settings: Settings, smtp: MailServer
) -> None:
    await event_with_people(settings)
    await invite(settings, who="not_invited")
    await deliver(settings)
    token = invitation_link(body_of(by_recipient(smtp)[ANA][0], "plain"))
    async with AsyncTestClient(app=create_app(settings)) as browser:
        await arm_csrf(browser)
        signed_in = await browser.post("/api/auth/verify-link", json={"token": token})
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["next"] == f"/events/{EVENT}/setup"
        counts = await status(settings)
        assert (counts["signed_in"], counts["card_set_up"]) == (1, 0)
        saved = await browser.patch(f"/api/events/{EVENT}/me", json={"shared_fields": ["role"]})
        assert saved.status_code == 200, saved.text
    counts = await status(settings)
    assert (counts["signed_in"], counts["card_set_up"]) == (1, 1)

    async def account_language(session: AsyncSession) -> str | None:
        return await session.scalar(select(Account.language).where(Account.email == ANA))

    assert await run_in_db(settings, account_language) == "es"


async def test_only_the_events_organizers_invite(settings: Settings) -> None:
    await event_with_people(settings)
    async with signed_in_client(settings, LUCIA) as attendee:
        assert (await attendee.post(PATH, json={"who": "all"})).json()["code"] == "event_not_found"
        assert (await attendee.get(PATH)).json()["code"] == "event_not_found"
    async with AsyncTestClient(app=create_app(settings)) as stranger:
        await arm_csrf(stranger)
        assert (await stranger.get(PATH)).status_code == 401


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"who": "chosen", "attendees": []}, "no_attendees_chosen", "attendees"),
        ({"who": "everyone"}, "invalid_input", "who"),
        ({"who": "chosen", "attendees": [0]}, "invalid_input", "attendees"),
    ],
)
async def test_a_bad_request_says_what_to_fix(
    settings: Settings, body: dict[str, Any], code: str, field: str
) -> None:
    await event_with_people(settings)
    async with signed_in_client(settings, ORGANIZER) as client:
        response = await client.post(PATH, json=body)
    assert response.status_code in {400, 422}, response.text
    answer = response.json()
    assert answer["code"] == code
    assert field in answer.get("field", "") + answer["detail"]
