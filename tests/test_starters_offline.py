"""Starters a phone computes offline agree with the server's: the golden cases, the kit a phone
keeps (frequencies of interests held by at least five people, nothing about fewer), and the
engine given only the kit and a card from the directory giving what the card view gives online."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee, Interest
from api.settings import Settings
from api.starters.engine import EventIndex, Person, Starter, VocabularyTerm, starters_for
from api.starters.phrases import PHRASES
from tests import text_tables
from tests.conftest import add_attendee, run_in_db, sign_in
from tests.test_connections import (
    ANA,
    EVENT,
    LUCIA,
    ORGANIZER,
    PEDRO,
    act_as,
    client_directory_key,
    event_with_people,
    get_json,
    open_entry,
)

GOLDEN = json.loads((Path(__file__).with_name("starters_golden.json")).read_text(encoding="utf-8"))
KIT = f"/api/events/{EVENT}/starter-kit"


def golden_person(values: dict[str, Any]) -> Person:
    return Person(
        id=values["id"],
        name=values["name"],
        organization=values["organization"],
        role=values["role"],
        interests=tuple(values["interests"]),
        looking_for=tuple(values["looking_for"]),
        can_help_with=tuple(values["can_help_with"]),
        sessions={session: title for session, title in values["sessions"]},
        shared=frozenset(values["shared"]),
    )


def as_json(starter: Starter) -> dict[str, Any]:
    """A starter as the card view's JSON shows it (and the golden cases hold it)."""
    return {
        "text": starter.text,
        "reason": {"kind": starter.reason.kind, "terms": list(starter.reason.terms)},
    }


def vocabulary_of(terms: list[dict[str, Any]]) -> list[VocabularyTerm]:
    return [
        VocabularyTerm(t["key"], t["label_en"], t["label_es"], tuple(t["aliases"])) for t in terms
    ]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["case"] for c in GOLDEN["cases"]])
def test_the_server_engine_gives_each_golden_case(case: dict[str, Any]) -> None:
    index = EventIndex.from_frequencies(
        vocabulary_of(GOLDEN["vocabulary"]), case["people"], case["holders"]
    )
    found = starters_for(
        golden_person(case["reader"]), golden_person(case["other"]), index, case["language"]
    )
    assert [as_json(s) for s in found] == case["expected"]


def test_the_golden_cases_cover_every_kind_of_starter_and_both_languages() -> None:
    kinds = {e["reason"]["kind"] for c in GOLDEN["cases"] for e in c["expected"]}
    assert kinds == set(PHRASES["en"])
    assert {c["language"] for c in GOLDEN["cases"]} >= {"en", "es"}


def test_the_apps_text_tables_match_this_python() -> None:
    written = text_tables.TARGET.read_text(encoding="utf-8")
    assert written == text_tables.generate(), "run: python -m tests.text_tables --write"


def test_the_kits_frequencies_rank_exactly_as_the_whole_event_does() -> None:
    """What the phone gets (counts of at least MIN_GROUP) loses nothing the ranking uses."""
    rng = random.Random(5)
    vocabulary = vocabulary_of(GOLDEN["vocabulary"])
    pool = [t.label_en for t in vocabulary] + [t.label_es for t in vocabulary]
    pool += [f"tema {n}" for n in range(30)]
    fields = ("interests", "looking_for", "can_help_with")
    people = [
        Person(
            id=n,
            name=f"P{n} X",
            organization=rng.choice(["", "Acme"]),
            role=rng.choice(["", "Chair"]),
            interests=tuple(rng.sample(pool, rng.randint(0, 6))),
            looking_for=tuple(rng.sample(pool, rng.randint(0, 2))),
            can_help_with=tuple(rng.sample(pool, rng.randint(0, 2))),
            shared=frozenset(f for f in (*fields, "role") if rng.random() < 0.7),
        )
        for n in range(1, 301)
    ]
    whole = EventIndex(vocabulary, people)
    count, holders = whole.frequencies()
    assert count == 300 and holders and min(holders.values()) >= 5
    kit = EventIndex.from_frequencies(vocabulary, count, holders)
    for _ in range(400):
        reader, other = rng.sample(people, 2)
        language = rng.choice(["en", "es"])
        assert starters_for(reader, other, kit, language) == starters_for(
            reader, other, whole, language
        )


async def add_interest_crowd(settings: Settings, event_id: int) -> None:
    """The vocabulary; six people who share "Open data", one who shares "Rare craft", and five
    who hold "Private matter" and share no interests."""

    async def work(session: AsyncSession) -> None:
        session.add(
            Interest(
                event_id=event_id,
                key="open-data",
                label_en="Open data",
                label_es="Datos abiertos",
                aliases=["datos públicos"],
            )
        )

    await run_in_db(settings, work)
    shares = {"shared_fields": ["interests"]}
    for n in range(6):
        await add_attendee(
            settings, event_id, f"crowd{n}@example.org", interests=["Open data"], **shares
        )
    await add_attendee(settings, event_id, "rare@example.org", interests=["Rare craft"], **shares)
    for n in range(5):
        await add_attendee(
            settings, event_id, f"quiet{n}@example.org", interests=["Private matter"]
        )


async def event_id_of(settings: Settings) -> int:
    async def work(session: AsyncSession) -> int:
        found = await session.scalar(select(Attendee.event_id).where(Attendee.email == LUCIA))
        assert found is not None
        return found

    found: int = await run_in_db(settings, work)
    return found


@pytest.mark.anyio
async def test_the_kit_holds_the_event_and_my_terms_and_nothing_about_fewer_than_five(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await add_interest_crowd(settings, await event_id_of(settings))
    await sign_in(client, settings, LUCIA)
    response = await client.get(KIT)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    kit = response.json()
    # Lucía and the six of the crowd share Open data; one person's "Rare craft" is not there,
    # nor the interest five people hold without sharing it; they are not counted at all.
    assert kit["holders"] == {"open-data": 7}
    assert kit["people"] == 8
    assert kit["vocabulary"] == [
        {
            "key": "open-data",
            "label_en": "Open data",
            "label_es": "Datos abiertos",
            "aliases": ["datos públicos"],
        }
    ]
    assert kit["phrases"] == PHRASES
    assert kit["me"]["interests"] == ["Open data"]
    assert "rare craft" not in response.text.lower()
    assert "private matter" not in response.text.lower()
    again = await client.get(KIT, headers={"If-None-Match": response.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.anyio
async def test_the_kit_is_for_the_events_attendees_only(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    signed_out = await client.get(KIT)
    assert signed_out.status_code == 401
    await sign_in(client, settings, ORGANIZER)  # organizes it, does not attend it
    assert (await client.get(KIT)).json()["code"] == "event_not_found"


@pytest.mark.anyio
@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_kit_and_a_directory_card_give_the_starters_the_card_view_gives(
    client: AsyncTestClient[Any], settings: Settings, language: str
) -> None:
    """What the phone does offline (the kit, the card opened from the directory) gives what
    the server shows online for the same badge, for people who share more or less."""
    tokens = await event_with_people(settings)
    await add_interest_crowd(settings, await event_id_of(settings))
    await sign_in(client, settings, PEDRO)
    await client.patch(
        f"/api/events/{EVENT}/me",
        json={"interests": ["datos públicos", "Rare craft"], "looking_for": ["Rare craft"]},
    )
    await act_as(client, settings, ANA)
    await client.patch(
        f"/api/events/{EVENT}/me",
        json={
            "interests": ["Rare craft"],
            "can_help_with": ["rare  craft"],
            "role": "Researcher",
            "shared_fields": ["interests", "can_help_with", "role"],
        },
    )
    await act_as(client, settings, PEDRO)
    kit = await get_json(client, KIT)
    index = EventIndex.from_frequencies(
        vocabulary_of(kit["vocabulary"]), kit["people"], kit["holders"]
    )
    me = kit["me"]
    reader = Person(
        id=me["id"],
        name="",
        interests=tuple(me["interests"]),
        looking_for=tuple(me["looking_for"]),
        can_help_with=tuple(me["can_help_with"]),
    )
    directory = await get_json(client, f"/api/events/{EVENT}/directory")
    by_key = {entry["key"]: entry for entry in directory["entries"]}
    for email in (LUCIA, ANA):
        key = client_directory_key(directory["salt"], tokens[email])
        opened = open_entry(directory["salt"], tokens[email], by_key[key])
        card = opened["card"]
        other = Person(
            id=opened["attendee"],
            name=card["name"],
            organization=card["organization"],
            role=card.get("role") or "",
            interests=tuple(card.get("interests") or ()),
            looking_for=tuple(card.get("looking_for") or ()),
            can_help_with=tuple(card.get("can_help_with") or ()),
            shared=frozenset(
                f for f in ("role", "interests", "looking_for", "can_help_with") if f in card
            ),
        )
        offline = [as_json(s) for s in starters_for(reader, other, index, language)]
        online = await get_json(client, f"/api/badges/{tokens[email]}?lang={language}")
        assert online["starters"] == offline
        assert offline[0]["reason"]["kind"] != "organization"  # they share something to use
