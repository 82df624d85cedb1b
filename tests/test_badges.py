"""Badges through the API: my badge, scanning a badge URL, reissue, single badges and print runs."""

from __future__ import annotations

import asyncio
import io
import re
import time
from typing import Any
from xml.etree import ElementTree

import anyio
import pytest
import zxingcpp
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select, update

from api.badges import jobs, service
from api.db import create_engine, session_factory, transaction
from api.models import Account, Attendee, Badge, Event, EventRole, Interest
from api.settings import Settings
from tests.conftest import add_account, add_attendee, add_event, run_in_db, sign_in

pytestmark = pytest.mark.anyio
ORGANIZER = "orga@example.org"
LUCIA = "lucia@example.org"
PEDRO = "pedro@example.org"
OUTSIDER = "outsider@example.org"


async def event_with_people(settings: Settings) -> int:
    event_id = await add_event(settings, "demo-event", name="Congreso Abierto")
    await add_account(settings, ORGANIZER)

    async def organizer_role(session: Any) -> None:
        account_id = await session.scalar(select(Account.id).where(Account.email == ORGANIZER))
        session.add(EventRole(event_id=event_id, account_id=account_id, role="organizer"))

    await run_in_db(settings, organizer_role)
    await add_attendee(
        settings,
        event_id,
        LUCIA,
        name="Lucía García",
        organization="DataLab",
        role="Data engineer",
        phone="+34 600 000 000",
        interests=["Open data"],
        shared_fields=["interests"],
    )
    await add_attendee(settings, event_id, PEDRO, name="Pedro Ruiz", organization="")
    return event_id


async def act_as(client: AsyncTestClient[Any], settings: Settings, email: str) -> None:
    await client.post("/api/auth/signout")
    await sign_in(client, settings, email)


async def badge_of(client: AsyncTestClient[Any], settings: Settings, email: str) -> dict[str, Any]:
    await act_as(client, settings, email)
    response = await client.get("/api/events/demo-event/me/badge")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_my_badge_has_a_token_a_typeable_code_and_a_qr_of_the_url(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    badge = await badge_of(client, settings, LUCIA)
    assert re.fullmatch(r"[0-9A-Z]{28}", badge["token"])
    assert badge["code"].replace("-", "") == badge["token"]
    assert badge["url"] == f"HTTP://TESTSERVER.LOCAL/B/{badge['token']}"
    # The QR rows draw a code that an independent reader decodes to the URL.
    rows = badge["qr"]
    side = len(rows) + 8
    image = Image.new("L", (side, side), 255)
    for y, row in enumerate(rows):
        for x, module in enumerate(row):
            if module == "1":
                image.putpixel((x + 4, y + 4), 0)
    assert [r.text for r in zxingcpp.read_barcodes(image.resize((side * 8, side * 8)))] == [
        badge["url"]
    ]
    # The same badge every time, until it is reissued.
    assert (await client.get("/api/events/demo-event/me/badge")).json()["token"] == badge["token"]


async def test_my_badge_previews_only_what_a_scan_reveals(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    card = (await badge_of(client, settings, LUCIA))["card"]
    assert card == {"name": "Lucía García", "organization": "DataLab", "interests": ["Open data"]}


async def test_scanning_a_badge_shows_the_shared_card_to_people_of_the_event(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, PEDRO)
    for scanned in (lucia["token"], lucia["code"].lower()):  # as read from the QR, or typed
        response = await client.get(f"/api/badges/{scanned}")
        assert response.status_code == 200, (scanned, response.text)
        body = response.json()
        assert body["card"] == lucia["card"]
        assert "phone" not in body["card"] and "role" not in body["card"]
        assert body["is_me"] is False and body["event"] == "demo-event"
    own = await client.get(f"/api/badges/{(await badge_of(client, settings, PEDRO))['token']}")
    assert own.json()["is_me"] is True


async def test_unknown_malformed_and_other_events_badges_answer_alike(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    lucia = await badge_of(client, settings, LUCIA)
    await add_account(settings, OUTSIDER)
    await act_as(client, settings, OUTSIDER)
    answers = [
        await client.get(f"/api/badges/{token}")
        for token in (lucia["token"], "0" * 28, "not-a-badge", "%20")
    ]
    assert {(a.status_code, a.json()["code"], a.json()["detail"]) for a in answers} == {
        (
            404,
            "unknown_badge",
            "No badge with this code in this event. Check the code and try again.",
        )
    }


async def test_a_badge_scan_needs_sign_in(client: AsyncTestClient[Any], settings: Settings) -> None:
    await event_with_people(settings)
    lucia = await badge_of(client, settings, LUCIA)
    await client.post("/api/auth/signout")
    response = await client.get(f"/api/badges/{lucia['token']}")
    assert response.status_code == 401


async def test_reissue_revokes_the_old_token_at_once(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    old = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, ORGANIZER)
    attendees = (await client.get("/api/events/demo-event/attendees?q=lucia")).json()["items"]
    response = await client.post(
        f"/api/events/demo-event/attendees/{attendees[0]['id']}/badge/reissue"
    )
    assert response.status_code == 200, response.text
    new = response.json()
    assert new["token"] != old["token"]

    await act_as(client, settings, PEDRO)
    revoked = await client.get(f"/api/badges/{old['token']}")
    assert (revoked.status_code, revoked.json()["code"]) == (410, "revoked")
    assert (await client.get(f"/api/badges/{new['token']}")).status_code == 200
    # Outsiders cannot tell a revoked badge from one that never existed.
    await add_account(settings, OUTSIDER)
    await act_as(client, settings, OUTSIDER)
    assert (await client.get(f"/api/badges/{old['token']}")).json()["code"] == "unknown_badge"

    async def lucias_badges(session: Any) -> list[bool]:
        rows = await session.scalars(
            select(Badge.revoked_at.is_(None)).where(Badge.attendee_id == attendees[0]["id"])
        )
        return sorted(bool(active) for active in rows)

    assert await run_in_db(settings, lucias_badges) == [False, True]  # one revoked, one active


async def test_only_organizers_reissue_or_print(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await act_as(client, settings, PEDRO)
    attendee_id = 1
    for method, path in (
        ("POST", f"/api/events/demo-event/attendees/{attendee_id}/badge/reissue"),
        ("GET", f"/api/events/demo-event/attendees/{attendee_id}/badge.png"),
        ("GET", "/api/events/demo-event/badges/preview"),
    ):
        response = await client.request(method, path)
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found")
    assert (await client.post("/api/events/demo-event/badges/jobs", json={})).status_code == 404


async def test_single_badges_as_png_and_svg(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    lucia = await badge_of(client, settings, LUCIA)
    png = await client.get("/api/events/demo-event/me/badge.png")
    assert png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "private, no-store"  # never kept in an offline cache
    assert (await client.get("/api/me")).headers["cache-control"] == "private, no-store"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [
        lucia["url"]
    ]
    svg = await client.get("/api/events/demo-event/me/badge.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "Lucía García" in svg.text  # as its accessible title
    assert "filename*=UTF-8''luc%C3%ADa-garc%C3%ADa.svg" in svg.headers["content-disposition"]
    await act_as(client, settings, ORGANIZER)
    items = (await client.get("/api/events/demo-event/attendees")).json()["items"]
    for item in items:
        response = await client.get(f"/api/events/demo-event/attendees/{item['id']}/badge.png")
        assert response.status_code == 200
    missing = await client.get("/api/events/demo-event/attendees/999999/badge.svg")
    assert (missing.status_code, missing.json()["code"]) == (404, "attendee_not_found")


async def wait_for_job(client: AsyncTestClient[Any], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = (
            await client.get(f"/api/events/demo-event/badges/jobs/{job_id}")
        ).json()
        if job["status"] != "running":
            return job
        await anyio.sleep(0.1)
    raise AssertionError("the print run did not finish in 30 s")


async def test_a_print_run_renders_in_the_background_and_gives_a_pdf(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await act_as(client, settings, ORGANIZER)
    preview = await client.get("/api/events/demo-event/badges/preview?layout=letter")
    assert preview.headers["content-type"].startswith("image/svg+xml")
    assert preview.text.count('stroke-dasharray="4 3"') == 2  # two attendees on the first sheet

    started = await client.post("/api/events/demo-event/badges/jobs", json={"layout": "letter"})
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["total"], job["layout"]) == (2, "letter")
    early = await client.get(f"/api/events/demo-event/badges/jobs/{job['id']}/pdf")
    if early.status_code != 200:
        assert early.json()["code"] == "print_job_not_ready"
    finished = await wait_for_job(client, job["id"])
    assert (finished["status"], finished["done"]) == ("done", 2)
    pdf = await client.get(f"/api/events/demo-event/badges/jobs/{job['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert "badges-demo-event-letter.pdf" in pdf.headers["content-disposition"]


async def test_a_print_run_of_a_selection(client: AsyncTestClient[Any], settings: Settings) -> None:
    await event_with_people(settings)
    await act_as(client, settings, ORGANIZER)
    by_search = await client.post("/api/events/demo-event/badges/jobs", json={"q": "pedro"})
    assert by_search.json()["total"] == 1
    items = (await client.get("/api/events/demo-event/attendees")).json()["items"]
    chosen = [items[0]["id"]]
    by_ids = await client.post(
        "/api/events/demo-event/badges/jobs", json={"attendee_ids": chosen, "layout": "avery-5392"}
    )
    assert by_ids.json()["total"] == 1
    bad = await client.post("/api/events/demo-event/badges/jobs", json={"layout": "a3"})
    assert bad.status_code == 400 and bad.json()["field"] == "layout"
    await wait_for_job(client, by_search.json()["id"])
    await wait_for_job(client, by_ids.json()["id"])


async def test_imported_attendees_get_badges_at_once(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, ORGANIZER, can_create_events=True)
    await sign_in(client, settings, ORGANIZER)
    from tests.test_imports import EVENTBRITE, event_payload

    assert (await client.post("/api/events", json=event_payload())).status_code == 201
    response = await client.post(
        "/api/events/madrid-2026/imports",
        files={"file": ("export.csv", EVENTBRITE.encode(), "text/csv")},
        data={"dry_run": "false"},
    )
    assert response.status_code == 200, response.text

    async def counts(session: Any) -> tuple[int, int]:
        badges = await session.scalar(select(func.count()).select_from(Badge))
        tokens = await session.scalar(select(func.count(func.distinct(Badge.token))))
        return int(badges), int(tokens)

    created = response.json()["created"]
    assert await run_in_db(settings, counts) == (created, created)


async def test_a_print_run_of_nobody_is_refused_with_what_to_do(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await act_as(client, settings, ORGANIZER)
    response = await client.post("/api/events/demo-event/badges/jobs", json={"q": "nobody-here"})
    assert (response.status_code, response.json()["code"]) == (422, "nothing_to_print")


async def test_a_scan_comes_with_starters_in_the_readers_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_people(settings)
    await add_attendee(
        settings,
        event_id,
        "marta@example.org",
        name="Marta Gil",
        looking_for=["Open Data"],
        interests=["open data"],
    )
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, "marta@example.org")
    body = (await client.get(f"/api/badges/{lucia['token']}")).json()
    # Lucía shares her interests only: the shared interest is used, her role is not.
    assert body["starters"][0]["reason"] == {
        "kind": "shared_interest",
        "terms": ["open data"],
    }
    assert "Lucía" in body["starters"][0]["text"]
    assert all("Data engineer" not in s["text"] for s in body["starters"])
    assert (await client.patch("/api/me", json={"language": "en"})).status_code == 200
    english = (await client.get(f"/api/badges/{lucia['token']}")).json()["starters"]
    assert english[0]["text"] != body["starters"][0]["text"]
    # The app asks in the language it shows.
    asked = (await client.get(f"/api/badges/{lucia['token']}?lang=es")).json()["starters"]
    assert asked[0]["text"] == body["starters"][0]["text"]


async def test_a_scanned_cards_terms_read_in_the_readers_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    event_id = await event_with_people(settings)

    async def vocabulary(session: Any) -> None:
        session.add(
            Interest(
                event_id=event_id,
                key="fundraising",
                label_en="Fundraising",
                label_es="Captación de fondos",
                aliases=["fund raising"],
            )
        )
        await session.execute(
            update(Attendee)
            .where(Attendee.email == LUCIA)
            .values(
                interests=["Captación de fondos", "Fund raising", "Cerámica"],
                shared_fields=["interests"],
            )
        )

    await run_in_db(settings, vocabulary)
    lucia = await badge_of(client, settings, LUCIA)
    await act_as(client, settings, PEDRO)
    card = {}
    for language in ("en", "es"):
        answer = await client.get(f"/api/badges/{lucia['token']}?lang={language}")
        assert answer.status_code == 200, answer.text
        card[language] = answer.json()["card"]["interests"]
    # The vocabulary's term in the reader's language, once; what is not in it stays as typed.
    assert card == {"en": ["Fundraising", "Cerámica"], "es": ["Captación de fondos", "Cerámica"]}


async def test_two_requests_issuing_the_same_badge_at_once_agree_on_it(settings: Settings) -> None:
    await event_with_people(settings)
    engine = create_engine(settings)
    factory = session_factory(engine)

    async def issue() -> str:
        async with transaction(factory) as session:
            pedro = await session.scalar(select(Attendee).where(Attendee.email == PEDRO))
            assert pedro is not None
            badge = await service.active_badge(session, pedro)
            await anyio.sleep(0.2)  # keep the transaction open while the other one tries
            return badge.token

    try:
        first, second = await asyncio.gather(issue(), issue())
    finally:
        await engine.dispose()
    assert first == second

    async def count(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(Badge)))

    assert await run_in_db(settings, count) == 1


async def test_an_organizer_cannot_reach_another_events_attendees(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    other_event = await add_event(settings, "other-event", name="Otro evento")
    await add_attendee(settings, other_event, "zoe@example.org", name="Zoe")

    async def zoe_id(session: Any) -> int:
        return int(
            await session.scalar(select(Attendee.id).where(Attendee.email == "zoe@example.org"))
        )

    zoe = await run_in_db(settings, zoe_id)
    await act_as(client, settings, ORGANIZER)
    for method, path in (
        ("GET", f"/api/events/demo-event/attendees/{zoe}/badge.png"),
        ("GET", f"/api/events/demo-event/attendees/{zoe}/badge.svg"),
        ("POST", f"/api/events/demo-event/attendees/{zoe}/badge/reissue"),
    ):
        response = await client.request(method, path)
        assert (response.status_code, response.json()["code"]) == (404, "attendee_not_found")
    chosen = await client.post("/api/events/demo-event/badges/jobs", json={"attendee_ids": [zoe]})
    assert (chosen.status_code, chosen.json()["code"]) == (422, "nothing_to_print")


async def test_a_name_with_control_characters_still_gives_a_valid_svg(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await act_as(client, settings, LUCIA)
    edited = await client.patch(
        "/api/events/demo-event/me", json={"name": 'Lucía\u0001 <García> & \u202e"Co"'}
    )
    assert edited.status_code == 200
    assert edited.json()["name"] == 'Lucía <García> & "Co"'  # controls stripped, as on import
    svg = (await client.get("/api/events/demo-event/me/badge.svg")).text
    ElementTree.fromstring(svg)  # noqa: S314 - our own output; it must be well-formed XML


async def test_a_failed_print_run_says_so_and_leaves_no_partial_file(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    event_id = await event_with_people(settings)
    engine = create_engine(settings)
    factory = session_factory(engine)
    try:
        async with transaction(factory) as session:
            event = await session.get_one(Event, event_id)
            job = await jobs.create_job(session, event, None, "a4", 1)
        # An unknown layout makes the rendering itself fail.
        await jobs.run_job(factory, settings.data_dir, job.id, "no-such-layout", "T", [])
        async with transaction(factory) as session:
            described = jobs.describe_job(await jobs.find_job(session, event, job.id))
    finally:
        await engine.dispose()
    assert (described.status, described.error) == ("failed", "render_failed")
    assert list((settings.data_dir / "badges").iterdir()) == []
    assert "print run" in caplog.text
