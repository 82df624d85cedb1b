"""Sessions both people attended, from check-ins, open the talk; nothing else about attendance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.models import Attendee, Checkin, EventSession
from api.settings import Settings
from tests.conftest import add_attendee, run_in_db
from tests.test_badges import LUCIA, act_as, badge_of, event_with_people

pytestmark = pytest.mark.anyio
MARTA = "marta@example.org"
_op = count(1)


async def add_session(settings: Settings, event_id: int, title: str, hour: int) -> int:
    async def work(session: Any) -> int:
        row = EventSession(
            event_id=event_id,
            title=title,
            starts_at=datetime(2026, 3, 10, hour, tzinfo=UTC),
            ends_at=datetime(2026, 3, 10, hour, 50, tzinfo=UTC),
        )
        session.add(row)
        await session.flush()
        return int(row.id)

    result: int = await run_in_db(settings, work)
    return result


async def check_in(
    settings: Settings,
    event_id: int,
    email: str,
    session_id: int | None,
    outcome: str = "checked_in",
    undone: bool = False,
    recorded_late: bool = False,
) -> None:
    async def work(session: Any) -> None:
        attendee_id = await session.scalar(
            select(Attendee.id).where(Attendee.event_id == event_id, Attendee.email == email)
        )
        at = datetime(2026, 3, 10, 9, 5, tzinfo=UTC)
        session.add(
            Checkin(
                event_id=event_id,
                attendee_id=attendee_id,
                session_id=session_id,
                at=at,
                method="poster",
                outcome=outcome,
                op_id=f"op-{next(_op)}",
                undone_at=at if undone else None,
                # Made live, or sent much later with an old date (which is not believed).
                recorded_at=at + timedelta(days=2) if recorded_late else at,
            )
        )

    await run_in_db(settings, work)


async def setup(settings: Settings) -> int:
    event_id = await event_with_people(settings)
    await add_attendee(settings, event_id, MARTA, name="Marta Gil")
    return event_id


async def starters(client: AsyncTestClient[Any], token: str, lang: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/badges/{token}?lang={lang}")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["starters"]
    return found


async def test_a_session_both_were_checked_in_to_opens_the_talk_in_both_languages(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await setup(settings)
    talk = await add_session(settings, event_id, "Ciudades y datos", 10)
    await check_in(settings, event_id, MARTA, talk)
    await check_in(settings, event_id, LUCIA, talk)
    await check_in(settings, event_id, LUCIA, talk, outcome="already")
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, MARTA)
    for lang in ("es", "en"):
        found = await starters(client, lucia["token"], lang)
        assert found[0]["reason"] == {"kind": "shared_session", "terms": ["Ciudades y datos"]}
        assert "Ciudades y datos" in found[0]["text"] and "Lucía" in found[0]["text"]
    assert found[0]["text"] != (await starters(client, lucia["token"], "es"))[0]["text"]


async def test_only_counted_check_ins_at_a_session_both_attended_are_used(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await setup(settings)
    undone = await add_session(settings, event_id, "Sesión deshecha", 9)
    refused = await add_session(settings, event_id, "Taller cerrado", 11)
    hers = await add_session(settings, event_id, "Solo de Lucía", 12)
    for session_id in (undone, refused, hers, None):  # None: both came in at the entrance
        await check_in(settings, event_id, LUCIA, session_id)
    await check_in(settings, event_id, MARTA, undone, undone=True)
    await check_in(settings, event_id, MARTA, refused, outcome="not_registered")
    await check_in(settings, event_id, MARTA, None)
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, MARTA)
    found = await starters(client, lucia["token"], "es")
    assert "shared_session" not in [s["reason"]["kind"] for s in found]
    words = " ".join(s["text"] + " ".join(s["reason"]["terms"]) for s in found)
    for title in ("Sesión deshecha", "Taller cerrado", "Solo de Lucía"):
        assert title not in words


async def test_overlapping_sessions_the_reader_checked_in_to_reveal_nothing(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await setup(settings)
    room_a = await add_session(settings, event_id, "Sala A a las diez", 10)
    room_b = await add_session(settings, event_id, "Sala B a las diez", 10)
    later = await add_session(settings, event_id, "Cierre", 13)
    # Marta scanned both rooms' posters at ten; she cannot have sat through both.
    for session_id in (room_a, room_b, later):
        await check_in(settings, event_id, MARTA, session_id)
    await check_in(settings, event_id, LUCIA, room_b)
    await check_in(settings, event_id, LUCIA, later)
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, MARTA)
    found = await starters(client, lucia["token"], "en")
    assert [s["reason"] for s in found if s["reason"]["kind"] == "shared_session"] == [
        {"kind": "shared_session", "terms": ["Cierre"]}
    ]
    assert "Sala B" not in " ".join(s["text"] for s in found)


async def test_a_poster_check_in_sent_long_after_its_date_feeds_no_starter(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await setup(settings)
    talk = await add_session(settings, event_id, "Sesión pasada", 10)
    # Marta's phone claims a past session with an old date: her own starters do not believe it.
    await check_in(settings, event_id, MARTA, talk, recorded_late=True)
    await check_in(settings, event_id, LUCIA, talk, recorded_late=True)
    lucia = await badge_of(client, settings, LUCIA)
    marta = await badge_of(client, settings, MARTA)
    await act_as(client, settings, MARTA)
    found = await starters(client, lucia["token"], "es")
    assert "shared_session" not in [s["reason"]["kind"] for s in found]
    # Lucía's late check-in is still attendance: what she reads of Marta depends on her own.
    await check_in(settings, event_id, MARTA, talk)
    await act_as(client, settings, LUCIA)
    found = await starters(client, marta["token"], "es")
    assert "shared_session" not in [s["reason"]["kind"] for s in found]
