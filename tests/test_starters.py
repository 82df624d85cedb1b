"""Conversation starters as pure functions: what two people share, explained, in both languages."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.starters.engine import (
    EventIndex,
    Person,
    Visit,
    VocabularyTerm,
    sessions_in_common,
    starters_for,
)

VOCABULARY = [
    VocabularyTerm("machine-learning", "Machine learning", "Aprendizaje automático", ["ML"]),
    VocabularyTerm("open-data", "Open data", "Datos abiertos", ["datos públicos"]),
    VocabularyTerm("fundraising", "Fundraising", "Captación de fondos", ["funding"]),
    VocabularyTerm("design", "Design", "Diseño", ["UX"]),
]
EVERYTHING = frozenset({"role", "interests", "looking_for", "can_help_with"})


def person(id: int, name: str, **values: object) -> Person:
    values.setdefault("shared", EVERYTHING)
    return Person(id=id, name=name, **values)  # type: ignore[arg-type]


def index_with(
    *people: Person, crowd: int = 0, crowd_interests: tuple[str, ...] = ()
) -> EventIndex:
    index = EventIndex(VOCABULARY, people)
    for n in range(crowd):
        index.count(Person(id=1000 + n, name="x", interests=crowd_interests))
    return index


def test_a_need_matched_to_an_offer_comes_first_and_says_why() -> None:
    ana = person(1, "Ana Pérez", looking_for=["funding"], interests=["Open data"])
    ben = person(2, "Ben Smith", can_help_with=["Captación de fondos"], interests=["open data"])
    found = starters_for(ana, ben, index_with(ana, ben), "en")
    assert found[0].reason.kind == "need_offer"
    assert found[0].reason.terms == ("Fundraising",)
    assert "Ben" in found[0].text and "Fundraising" in found[0].text
    assert [s.reason.kind for s in found[1:]][:1] == ["shared_interest"]


def test_the_reverse_offer_to_a_need_is_also_found() -> None:
    ana = person(1, "Ana", can_help_with=["UX"])
    ben = person(2, "Ben", looking_for=["diseño"])
    found = starters_for(ana, ben, index_with(ana, ben), "es")
    assert found[0].reason.kind == "offer_need"
    assert found[0].reason.terms == ("Diseño",)


def test_interests_meet_across_case_accents_aliases_and_languages() -> None:
    ana = person(1, "Ana", interests=["APRENDIZAJE AUTOMATICO"])
    ben = person(2, "Ben", interests=["ml"])
    found = starters_for(ana, ben, index_with(ana, ben), "es")
    assert found[0].reason.kind == "shared_interest"
    assert found[0].reason.terms == ("Aprendizaje automático",)
    english = starters_for(ana, ben, index_with(ana, ben), "en")
    assert english[0].reason.terms == ("Machine learning",)


def test_terms_outside_the_vocabulary_still_meet_when_spelled_alike() -> None:
    ana = person(1, "Ana", interests=["Cooperativismo"])
    ben = person(2, "Ben", interests=["cooperativismo "])
    found = starters_for(ana, ben, index_with(ana, ben), "es")
    assert found[0].reason.terms == ("Cooperativismo",)


def test_a_rare_shared_interest_ranks_above_a_common_one() -> None:
    ana = person(1, "Ana", interests=["Open data", "Design"])
    ben = person(2, "Ben", interests=["Design", "Open data"])
    index = index_with(ana, ben, crowd=200, crowd_interests=("Open data",))
    found = starters_for(ana, ben, index, "en")
    shared = [s for s in found if s.reason.kind == "shared_interest"]
    assert [s.reason.terms[0] for s in shared] == ["Design", "Open data"]
    assert shared[0].score > shared[1].score


def test_sessions_both_attended_are_a_signal() -> None:
    ana = person(1, "Ana", sessions={7: "Datos y ciudad", 8: "Keynote"})
    ben = person(2, "Ben", sessions={7: "Datos y ciudad"}, organization="Acme")
    found = starters_for(ana, ben, index_with(ana, ben), "es")
    assert found[0].reason.kind == "shared_session"
    assert "Datos y ciudad" in found[0].text


def test_with_nothing_shared_the_organization_or_the_event_opens_the_talk() -> None:
    ana = person(1, "Ana", interests=["Design"])
    ben = person(2, "Ben Ruiz", organization="Acme", shared=frozenset())
    found = starters_for(ana, ben, index_with(ana, ben), "en")
    assert [s.reason.kind for s in found] == ["organization"]
    assert "Acme" in found[0].text
    nobody = person(3, "Carla", shared=frozenset())
    assert [s.reason.kind for s in starters_for(ana, nobody, index_with(ana, nobody), "en")] == [
        "event"
    ]


def test_a_field_the_other_keeps_private_is_never_used() -> None:
    ana = person(1, "Ana", looking_for=["funding"], interests=["Design"])
    ben = person(
        2,
        "Ben",
        role="Secret agent",
        can_help_with=["Fundraising"],
        interests=["Design"],
        looking_for=["ML"],
        shared=frozenset(),
    )
    found = starters_for(ana, ben, index_with(ana, ben), "en")
    words = " ".join(s.text + " ".join(s.reason.terms) for s in found)
    for private in ("Fundraising", "Design", "Secret agent", "Machine learning"):
        assert private not in words


def test_one_to_three_starters_strongest_first() -> None:
    ana = person(
        1, "Ana", looking_for=["funding"], can_help_with=["UX"], interests=["ML", "Open data"]
    )
    ben = person(
        2, "Ben", can_help_with=["funding"], looking_for=["design"], interests=["ML", "open data"]
    )
    found = starters_for(ana, ben, index_with(ana, ben), "en")
    assert 1 <= len(found) <= 3
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert [s.reason.kind for s in found][:2] == ["need_offer", "offer_need"]


def test_the_same_pair_always_gets_the_same_words_and_pairs_vary() -> None:
    index = index_with()
    ana = person(1, "Ana")
    texts = set()
    for other_id in range(2, 40):
        other = person(other_id, "Ben", organization="Acme", shared=frozenset())
        first = starters_for(ana, other, index, "en")
        assert first == starters_for(ana, other, index, "en")
        texts.add(first[0].text)
    assert len(texts) > 1


def test_both_catalogs_have_every_kind_with_the_same_placeholders() -> None:
    catalog = json.loads(Path("api/starters/phrases.json").read_text(encoding="utf-8"))
    assert catalog["en"].keys() == catalog["es"].keys()
    fields = string.Formatter()
    for kind in catalog["en"]:
        for language in ("en", "es"):
            assert len(catalog[language][kind]) >= 3
            for template in catalog[language][kind]:
                used = {f for _, f, _, _ in fields.parse(template) if f}
                assert used <= {"name", "terms", "term"}, template
                assert "name" in used, template


def visit(session_id: int, title: str, hour: int, minutes: int = 50) -> Visit:
    start = datetime(2026, 3, 10, hour, tzinfo=UTC)
    return Visit(session_id, title, start, start + timedelta(minutes=minutes))


def test_sessions_in_common_are_only_those_both_attended_latest_first() -> None:
    reader = [visit(1, "Apertura", 9), visit(3, "Cierre", 17), visit(2, "Mesa", 12)]
    other = [visit(2, "Mesa", 12), visit(1, "Apertura", 9), visit(4, "Solo suya", 15)]
    assert sessions_in_common(reader, other) == {2: "Mesa", 1: "Apertura"}
    assert list(sessions_in_common(reader, other)) == [2, 1]


def test_sessions_the_reader_could_not_have_sat_through_together_are_left_out() -> None:
    reader = [visit(1, "Sala A", 10), visit(2, "Sala B", 10, 20), visit(3, "Sala C", 11)]
    other = [visit(1, "Sala A", 10), visit(2, "Sala B", 10, 20), visit(3, "Sala C", 11)]
    # 10:00-10:50 and 10:00-10:20 overlap; 11:00 starts as the first ends.
    assert sessions_in_common(reader, other) == {3: "Sala C"}


def test_a_session_both_attended_ranks_between_rare_and_common_interests() -> None:
    common = {7: "Datos y ciudad"}
    ana = person(1, "Ana", interests=["Open data", "Design"], sessions=common)
    ben = person(2, "Ben", interests=["Design", "Open data"], sessions=common)
    index = index_with(ana, ben, crowd=200, crowd_interests=("Open data",))
    found = starters_for(ana, ben, index, "en")
    assert [(s.reason.kind, s.reason.terms) for s in found] == [
        ("shared_interest", ("Design",)),
        ("shared_session", ("Datos y ciudad",)),
        ("shared_interest", ("Open data",)),
    ]
    helped = person(3, "Carla", can_help_with=["funding"], sessions=common)
    asking = person(4, "Dan", looking_for=["fundraising"], sessions=common)
    first = starters_for(asking, helped, index_with(asking, helped), "en")
    assert [s.reason.kind for s in first][:2] == ["need_offer", "shared_session"]
