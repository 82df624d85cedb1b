"""Room posters through the API and the command line: a page per room, kept tokens, organizers."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import zxingcpp
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import delete, select

from api.cli import main
from api.db import create_engine, session_factory, transaction
from api.models import Account, Event, EventRole, EventSession, Poster
from api.posters import service
from api.settings import Settings
from tests.conftest import (
    add_account,
    add_attendee,
    add_event,
    make_settings,
    run_in_db,
    sign_in,
    wipe,
)

pytestmark = pytest.mark.anyio
ORGANIZER = "orga@example.org"
ATTENDEE = "lucia@example.org"
OUTSIDER = "outsider@example.org"
PDF = "/api/events/demo-event/posters.pdf"
LIST = "/api/events/demo-event/posters"
# add_event's event runs on 10 and 11 March 2026 in Europe/Madrid (UTC+1).
SESSIONS = [
    ("Apertura", "Sala A", datetime(2026, 3, 10, 8, tzinfo=UTC)),
    ("Datos abiertos en la ciudad", "Sala A", datetime(2026, 3, 10, 10, tzinfo=UTC)),
    ("Taller de mapas", "Sala B", datetime(2026, 3, 10, 9, tzinfo=UTC)),
    ("Cierre", "Sala B", datetime(2026, 3, 11, 16, tzinfo=UTC)),
    ("Café", "", datetime(2026, 3, 10, 11, tzinfo=UTC)),
]


async def add_sessions(
    settings: Settings, event_id: int, sessions: list[tuple[str, str, datetime]]
) -> None:
    async def work(session: Any) -> None:
        for title, room, starts in sessions:
            session.add(
                EventSession(
                    event_id=event_id,
                    title=title,
                    room=room,
                    starts_at=starts,
                    ends_at=starts.replace(minute=45),
                )
            )

    await run_in_db(settings, work)


async def add_organizer(settings: Settings, event_id: int, email: str = ORGANIZER) -> None:
    await add_account(settings, email)

    async def work(session: Any) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == email))
        session.add(EventRole(event_id=event_id, account_id=account_id, role="organizer"))

    await run_in_db(settings, work)


async def event_with_rooms(settings: Settings) -> int:
    event_id = await add_event(settings, "demo-event", name="Congreso Abierto")
    await add_organizer(settings, event_id)
    await add_sessions(settings, event_id, SESSIONS)
    return event_id


async def posters_in_db(settings: Settings) -> dict[str, str]:
    async def work(session: Any) -> dict[str, str]:
        rows = await session.execute(select(Poster.room, Poster.token))
        return {room: token for room, token in rows}

    result: dict[str, str] = await run_in_db(settings, work)
    return result


def page_texts(pdf: bytes, folder: Path) -> list[str]:
    path = folder / "posters.pdf"
    path.write_bytes(pdf)
    found = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)  # noqa: S603, S607
    return found.stdout.decode().split("\f")[:-1]


def page_codes(pdf: bytes, folder: Path) -> list[list[str]]:
    path = folder / "posters.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(folder / "page")], check=True)  # noqa: S603, S607
    return [
        [r.text for r in zxingcpp.read_barcodes(Image.open(page))]
        for page in sorted(folder.glob("page-*.png"))
    ]


async def test_the_pdf_has_a_page_per_room_with_its_sessions_and_qr(
    client: AsyncTestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    await event_with_rooms(settings)
    await sign_in(client, settings, ORGANIZER)
    response = await client.get(PDF, params={"paper": "letter", "day": "2026-03-10"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "posters-demo-event-2026-03-10-letter.pdf" in response.headers["content-disposition"]
    first, second = page_texts(response.content, tmp_path)
    assert "Sala A" in first and "09:00–09:45" in first and "Apertura" in first
    assert "Datos abiertos en la ciudad" in first and "Taller de mapas" not in first
    assert "Sala B" in second and "Taller de mapas" in second and "Cierre" not in second
    assert "Sesiones del martes 10 de marzo" in first and "Sessions on Tuesday 10 March" in first
    tokens = await posters_in_db(settings)
    assert sorted(tokens) == ["Sala A", "Sala B"]  # a session without a room has no poster
    assert page_codes(response.content, tmp_path) == [
        [f"HTTP://TESTSERVER.LOCAL/R/{tokens['Sala A']}"],
        [f"HTTP://TESTSERVER.LOCAL/R/{tokens['Sala B']}"],
    ]


async def test_tokens_are_unique_kept_on_reprint_and_new_rooms_get_one(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_rooms(settings)
    await sign_in(client, settings, ORGANIZER)
    assert (await client.get(PDF)).status_code == 200
    first = await posters_in_db(settings)
    assert len(set(first.values())) == 2
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{28}", token) for token in first.values())

    await add_sessions(
        settings, event_id, [("Nueva", "Sala C", datetime(2026, 3, 11, 9, tzinfo=UTC))]
    )
    listing = (await client.get(LIST, params={"day": "2026-03-11"})).json()
    again = await posters_in_db(settings)
    assert {room: again[room] for room in first} == first
    assert len(set(again.values())) == 3
    assert [(r["room"], r["url"]) for r in listing["rooms"]] == [
        (room, f"HTTP://TESTSERVER.LOCAL/R/{again[room]}")
        for room in ("Sala A", "Sala B", "Sala C")
    ]
    assert [[s["title"] for s in r["sessions"]] for r in listing["rooms"]] == [
        [],
        ["Cierre"],
        ["Nueva"],
    ]
    assert listing["rooms"][1]["sessions"][0]["starts"] == "17:00"  # Madrid time
    assert listing["day"] == "2026-03-11" and listing["days"] == ["2026-03-10", "2026-03-11"]
    assert (await client.get(PDF, params={"paper": "a4"})).status_code == 200
    assert await posters_in_db(settings) == again


async def test_a_room_whose_sessions_are_gone_keeps_its_token_for_when_it_returns(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_rooms(settings)
    await sign_in(client, settings, ORGANIZER)
    await client.get(LIST)
    before = await posters_in_db(settings)

    async def drop_sala_b(session: Any) -> None:
        await session.execute(delete(EventSession).where(EventSession.room == "Sala B"))

    await run_in_db(settings, drop_sala_b)
    assert [r["room"] for r in (await client.get(LIST)).json()["rooms"]] == ["Sala A"]
    await add_sessions(
        settings, event_id, [("Vuelta", "Sala B", datetime(2026, 3, 10, 15, tzinfo=UTC))]
    )
    await client.get(LIST)
    assert await posters_in_db(settings) == before


async def test_only_the_events_organizers_get_posters(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_rooms(settings)
    await add_attendee(settings, event_id, ATTENDEE)
    other = await add_event(settings, "other-event")
    await add_organizer(settings, other, OUTSIDER)
    for email in (ATTENDEE, OUTSIDER):
        await client.post("/api/auth/signout")
        await sign_in(client, settings, email)
        for path in (PDF, LIST, "/api/events/no-such-event/posters.pdf"):
            response = await client.get(path)
            assert response.status_code == 404, (email, path)
            assert response.json()["code"] == "event_not_found"
    await client.post("/api/auth/signout")
    assert (await client.get(PDF)).status_code == 401
    assert await posters_in_db(settings) == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"paper": "a3"}, "paper"),
        ({"day": "10/03/2026"}, "day"),
        ({"day": "2026-02-30"}, "day"),
        ({"day": "2026-03-12"}, "day"),
        ({"day": "2026-03-09", "paper": "letter"}, "day"),
    ],
)
async def test_bad_paper_or_day_is_a_400_naming_the_field(
    client: AsyncTestClient[Any], settings: Settings, query: dict[str, str], field: str
) -> None:
    await event_with_rooms(settings)
    await sign_in(client, settings, ORGANIZER)
    for path in (PDF, LIST) if "paper" not in query else (PDF,):
        response = await client.get(path, params=query)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["field"] == field and field in body["detail"]
        # Says what to type instead, in words a person reads (not the validator's).
        assert (
            "YYYY-MM-DD" in body["detail"]
            or "a4 or letter" in body["detail"]
            or ("choose a day" in body["detail"])
        )


async def test_paper_is_read_in_any_case(client: AsyncTestClient[Any], settings: Settings) -> None:
    await event_with_rooms(settings)
    await sign_in(client, settings, ORGANIZER)
    response = await client.get(PDF, params={"paper": " A4 ", "day": "2026-03-10"})
    assert response.status_code == 200
    assert "-a4.pdf" in response.headers["content-disposition"]


async def test_a_schedule_without_rooms_says_to_add_rooms_to_sessions(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await add_event(settings, "demo-event")
    await add_organizer(settings, event_id)
    await add_sessions(settings, event_id, [("Café", "", datetime(2026, 3, 10, 9, tzinfo=UTC))])
    await sign_in(client, settings, ORGANIZER)
    refused = await client.get(PDF)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_rooms" and "room" in refused.json()["detail"]
    listing = await client.get(LIST)
    assert listing.status_code == 200 and listing.json()["rooms"] == []


# The command line, on the same databases.
@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(wipe(database_url, tmp_path))
    return {
        "DATABASE_URL": database_url,
        "ENLACE_DATA_DIR": str(tmp_path),
        "ENLACE_BASE_URL": "https://enlace.example.org",
    }


def test_the_posters_command_writes_a_page_per_room(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)

    async def setup() -> None:
        event_id = await add_event(settings, "demo-event")
        await add_sessions(settings, event_id, SESSIONS)

    asyncio.run(setup())
    out = tmp_path / "posters.pdf"
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["posters", "demo-event", "--out", str(out), "--paper", "letter", "--day", "2026-03-11"],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert f"2 rooms on LETTER, sessions of 2026-03-11 → {out}" in " ".join(result.output.split())
    texts = page_texts(out.read_bytes(), tmp_path)
    assert len(texts) == 2 and "Cierre" in texts[1] and "Apertura" not in texts[0]
    tokens = asyncio.run(posters_in_db(settings))
    assert page_codes(out.read_bytes(), tmp_path) == [
        [f"HTTPS://ENLACE.EXAMPLE.ORG/R/{tokens[room]}"] for room in ("Sala A", "Sala B")
    ]
    assert not (tmp_path / "posters.pdf.part").exists()

    again = runner.invoke(main, ["posters", "demo-event", "--out", str(out)], env=cli_env)
    assert again.exit_code == 0, again.output
    assert asyncio.run(posters_in_db(settings)) == tokens


def test_the_posters_command_explains_what_is_wrong(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    asyncio.run(add_event(settings, "no-rooms"))
    out = tmp_path / "x.pdf"
    runner = CliRunner()
    for args, message in [
        (["nope"], "No event with slug 'nope'"),
        (["no-rooms"], "The schedule has no rooms"),
        (["no-rooms", "--day", "2026-04-01"], "2026-04-01 is not a day of the event"),
        (["no-rooms", "--day", "tomorrow"], "'tomorrow' does not match the format '%Y-%m-%d'"),
        (["no-rooms", "--paper", "a3"], "'a3' is not one of 'a4', 'letter'"),
    ]:
        result = runner.invoke(main, ["posters", *args, "--out", str(out)], env=cli_env)
        assert result.exit_code != 0
        assert message in " ".join(result.output.split()), result.output
    assert not out.exists()


async def test_two_requests_making_a_rooms_poster_at_once_agree_on_its_token(
    settings: Settings,
) -> None:
    await event_with_rooms(settings)
    engine = create_engine(settings)
    factory = session_factory(engine)

    async def make() -> dict[str, str]:
        async with transaction(factory) as session:
            event = await session.scalar(select(Event).where(Event.slug == "demo-event"))
            assert event is not None
            tokens = await service.room_tokens(session, event, ["Sala A", "Sala B"])
            await anyio.sleep(0.2)  # keep the transaction open while the other one tries
            return tokens

    try:
        first, second = await asyncio.gather(make(), make())
    finally:
        await engine.dispose()
    assert first == second == await posters_in_db(settings)
