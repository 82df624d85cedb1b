"""The digest e-mail rendered from data: language, dates in the event's zone, escaping, links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

from api.followups.digest import (
    MAX_PEOPLE,
    DigestDraft,
    DigestEvent,
    DigestLinks,
    DigestPerson,
    default_digest_time,
    render_digest,
    sample_digest,
)
from api.followups.unsubscribe import (
    account_id_for_token,
    unsubscribe_headers,
    unsubscribe_token,
)
from tests.conftest import make_settings

EVENT = DigestEvent(
    "Foro <Abierto>", "foro", date(2026, 3, 10), date(2026, 3, 11), "America/Bogota"
)
LINKS = DigestLinks(
    followups="https://enlace.example/signin?next=%2Fevents%2Fforo%2Ffollowups#t=abc",
    unsubscribe="https://enlace.example/unsubscribe/7-xyz",
)


def person(**values: object) -> DigestPerson:
    defaults: dict[str, object] = {
        "name": "Lucía Fernández",
        "organization": "Cooperativa Tejido",
        # 21:30 UTC is 16:30 in Bogotá.
        "last_met_at": datetime(2026, 3, 11, 21, 30, tzinfo=UTC),
    }
    return DigestPerson(**(defaults | values))  # type: ignore[arg-type]


class TextOf(HTMLParser):
    """What a reader sees of an HTML part: its text, tags and all entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if tag == "a" and name == "href"]


def seen(html: str) -> TextOf:
    parser = TextOf()
    parser.feed(html)
    return parser


def test_a_spanish_digest_is_in_spanish_with_times_in_the_events_zone() -> None:
    digest = render_digest("Ana", EVENT, [person(note="Enviarle el caso")], "es", LINKS)
    assert digest.subject == "Tus seguimientos de Foro <Abierto>"
    assert "Hola, Ana:" in digest.text
    assert "mié, 11 mar 2026, 16:30" in digest.text
    assert "Tu nota: Enviarle el caso" in digest.text
    assert '<html lang="es">' in digest.html


def test_an_english_digest_is_in_english_with_twelve_hour_times() -> None:
    digest = render_digest("Ana", EVENT, [person()], "en", LINKS)
    assert digest.subject == "Your follow-ups from Foro <Abierto>"
    assert "Wed, Mar 11, 2026, 4:30" in digest.text
    assert "Mar 10\u2009–\u200911, 2026" in digest.text  # Babel's thin spaces


def test_an_unknown_language_falls_back_to_spanish() -> None:
    assert render_digest("", EVENT, [person()], "fr", LINKS).text.startswith("Hola:")


def test_notes_drafts_and_names_are_escaped_in_the_html_part() -> None:
    hostile = person(
        name="<script>alert(1)</script>",
        note='a & b <img src=x onerror="x">\nsecond line',
        draft=DigestDraft("Hi <b>", "Body & <i>more</i>", "x@example.org"),
    )
    digest = render_digest("Ana", EVENT, [hostile], "en", LINKS)
    assert "<script>" not in digest.html
    assert "<img" not in digest.html
    assert "<i>more" not in digest.html
    text = "".join(seen(digest.html).parts)
    assert "<script>alert(1)</script>" in text
    assert 'a & b <img src=x onerror="x">' in text
    assert "Body & <i>more</i>" in text


def test_a_very_long_note_is_cut_at_a_word_and_long_words_wrap_on_a_phone() -> None:
    long_note = "Hablamos de " + "financiación " * 80 + "final"
    unbroken = person(name="Kwame", note="x" * 5000)
    digest = render_digest("Ana", EVENT, [person(note=long_note), unbroken], "es", LINKS)
    assert "final" not in digest.text and "financiación…" in digest.text
    assert "x" * 601 not in digest.text and "x" * 600 + "…" in digest.text
    assert "overflow-wrap:anywhere" in digest.html


def test_due_reminders_are_listed_first_and_snoozed_people_owe_nothing() -> None:
    people = [
        person(name="Kwame", due=("thank_you",)),
        person(name="Mei", due=("share",), status="snoozed"),
        person(name="Noa", due=("reach_out", "share")),
    ]
    digest = render_digest("Ana", EVENT, people, "en", LINKS)
    due_part = digest.text.split("People you met")[0]
    assert "Due now (3)" in due_part
    assert "- Send a thank-you: Kwame" in due_part
    assert "- Share something relevant: Noa" in due_part
    assert "- Reach out before you need help: Noa" in due_part
    assert "Mei" not in due_part
    assert digest.due == 3


def test_a_done_person_shows_as_done_without_a_draft() -> None:
    done = person(status="done", draft=DigestDraft("Thanks", "Thank you!", None))
    digest = render_digest("Ana", EVENT, [done], "en", LINKS)
    assert "Marked done" in digest.text
    assert "Thank you!" not in digest.text


def test_the_draft_names_the_address_when_the_person_shares_one() -> None:
    with_mail = person(draft=DigestDraft("Thanks", "Dear Lucía,\n\nThank you.", "l@example.org"))
    digest = render_digest("Ana", EVENT, [with_mail], "en", LINKS)
    assert "A thank-you to send to l@example.org:" in digest.text
    assert "   > Dear Lucía," in digest.text
    assert "Dear Lucía,<br><br>Thank you." in digest.html


def test_both_parts_carry_the_sign_in_and_unsubscribe_links() -> None:
    digest = render_digest("Ana", EVENT, [person()], "en", LINKS)
    assert LINKS.followups in digest.text
    assert LINKS.unsubscribe in digest.text
    assert seen(digest.html).links == [LINKS.followups, LINKS.unsubscribe]


def test_a_very_long_list_is_cut_and_the_rest_counted() -> None:
    people = [person(name=f"Person {n}") for n in range(MAX_PEOPLE + 5)]
    digest = render_digest("Ana", EVENT, people, "en", LINKS)
    assert f"Person {MAX_PEOPLE - 1}" in digest.text
    assert f"Person {MAX_PEOPLE}\n" not in digest.text
    assert "And 5 more people in your follow-up list." in digest.text


def test_the_suggested_time_is_nine_in_the_morning_after_the_last_day() -> None:
    assert default_digest_time(date(2026, 3, 11), "America/Bogota") == datetime(
        2026, 3, 12, 14, 0, tzinfo=UTC
    )
    # Madrid changes to summer time on 29 March 2026: 09:00 is then UTC+2.
    assert default_digest_time(date(2026, 3, 28), "Europe/Madrid") == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )


def test_the_sample_digest_is_made_up_and_in_the_asked_language() -> None:
    for language, greeting in (("es", "Hola, Alex Ejemplo:"), ("en", "Hello Alex Sample,")):
        recipient, people = sample_digest(language, EVENT)
        digest = render_digest(recipient, EVENT, people, language, LINKS)
        assert digest.text.startswith(greeting)
        assert all(p.draft is None or p.draft.to in {None, "lucia@example.org"} for p in people)


def test_an_unsubscribe_token_names_its_account_only_with_the_right_key(tmp_path: object) -> None:
    settings = make_settings("sqlite+aiosqlite://", tmp_path)  # type: ignore[arg-type]
    token = unsubscribe_token(settings, 42)
    assert account_id_for_token(settings, token) == 42
    assert account_id_for_token(settings, token.replace("42-", "43-")) is None
    assert account_id_for_token(settings, "42-") is None
    assert account_id_for_token(settings, "x-" + token.split("-", 1)[1]) is None
    other = make_settings("sqlite+aiosqlite://", tmp_path, secret_key="another-key-" + "x" * 40)  # type: ignore[arg-type]
    assert account_id_for_token(other, token) is None
    headers = unsubscribe_headers(settings, 42)
    assert headers["List-Unsubscribe"] == f"<http://testserver.local/api/unsubscribe/{token}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_for_an_event_already_over_the_suggested_time_is_the_next_morning() -> None:
    afternoon = datetime(2026, 4, 20, 15, 30, tzinfo=UTC)  # 17:30 in Madrid
    assert default_digest_time(date(2026, 3, 28), "Europe/Madrid", afternoon) == datetime(
        2026, 4, 21, 7, 0, tzinfo=UTC
    )
    # Before the event's own suggestion, that one stands.
    early = datetime(2026, 3, 20, tzinfo=UTC)
    assert default_digest_time(date(2026, 3, 28), "Europe/Madrid", early) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )
