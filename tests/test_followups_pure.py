"""Reminders, status and drafts, without a database: what a person's follow-up shows on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import vobject

from api.attendees.card import CardOut
from api.exports.contacts import escape_text, fold, vcards
from api.followups.drafts import Recipient, Writer, thank_you
from api.followups.reminders import PersonState, due_now, reminders_of, schedule, status_of
from api.followups.schemas import DraftOut, EventBrief, FollowupListOut, FollowupOut

ENDS = date(2026, 3, 11)
ZONE = "Europe/Madrid"


def test_the_default_schedule_counts_days_after_the_event_ends() -> None:
    assert [(k, d) for k, d, *_ in schedule(ENDS, PersonState())] == [
        ("thank_you", date(2026, 3, 13)),
        ("share", date(2026, 4, 10)),
        ("reach_out", date(2026, 6, 9)),
    ]


def test_nothing_is_due_before_the_first_reminder_and_the_thank_you_is_due_on_its_day() -> None:
    assert due_now(date(2026, 3, 12), PersonState(), ENDS, ZONE) == []
    assert due_now(date(2026, 3, 13), PersonState(), ENDS, ZONE) == ["thank_you"]
    assert status_of(date(2026, 3, 12), PersonState(), ENDS, ZONE) == "todo"


def test_a_person_marked_done_is_todo_again_when_a_later_reminder_falls_due() -> None:
    done = PersonState(done_at=datetime(2026, 3, 13, 9, 0, tzinfo=UTC))
    assert status_of(date(2026, 4, 9), done, ENDS, ZONE) == "done"
    assert due_now(date(2026, 4, 9), done, ENDS, ZONE) == []
    assert status_of(date(2026, 4, 10), done, ENDS, ZONE) == "todo"
    assert due_now(date(2026, 4, 10), done, ENDS, ZONE) == ["share"]


def test_done_is_read_on_the_day_of_the_event_time_zone() -> None:
    # 22:30 UTC on 9 April is already the 10th in Madrid: the "share" reminder due that day is
    # done; read in UTC it was marked the day before, and the reminder reopens the person.
    marked = PersonState(done_at=datetime(2026, 4, 9, 22, 30, tzinfo=UTC))
    assert status_of(date(2026, 4, 20), marked, ENDS, ZONE) == "done"
    assert status_of(date(2026, 4, 20), marked, ENDS, "UTC") == "todo"


def test_a_person_thanked_before_the_thank_you_falls_due_stays_done() -> None:
    # Marked done the evening the event ended: the thank-you (a deadline) is met, not reopened.
    thanked = PersonState(done_at=datetime(2026, 3, 11, 20, 0, tzinfo=UTC))
    assert status_of(date(2026, 3, 13), thanked, ENDS, ZONE) == "done"
    assert due_now(date(2026, 3, 13), thanked, ENDS, ZONE) == []
    assert status_of(date(2026, 4, 10), thanked, ENDS, ZONE) == "todo"
    assert due_now(date(2026, 4, 10), thanked, ENDS, ZONE) == ["share"]


def test_a_snoozed_person_has_nothing_due_until_the_snooze_ends() -> None:
    snoozed = PersonState(snoozed_until=date(2026, 3, 20))
    assert status_of(date(2026, 3, 19), snoozed, ENDS, ZONE) == "snoozed"
    assert due_now(date(2026, 3, 19), snoozed, ENDS, ZONE) == []
    assert status_of(date(2026, 3, 20), snoozed, ENDS, ZONE) == "todo"
    assert due_now(date(2026, 3, 20), snoozed, ENDS, ZONE) == ["thank_you"]


def test_a_moved_reminder_falls_due_on_its_new_day_and_one_turned_off_never() -> None:
    state = PersonState(reminder_dates={"thank_you": "2026-03-20", "share": None})
    found = {r.kind: r for r in reminders_of(date(2026, 5, 1), state, ENDS, ZONE)}
    assert (found["thank_you"].due, found["thank_you"].moved) == (date(2026, 3, 20), True)
    assert found["share"].on is False and found["share"].due_now is False
    assert due_now(date(2026, 3, 19), state, ENDS, ZONE) == []
    assert due_now(date(2026, 3, 20), state, ENDS, ZONE) == ["thank_you"]


def test_reminders_off_for_the_person_or_for_everyone_are_never_due() -> None:
    day = date(2026, 7, 1)
    assert due_now(day, PersonState(reminders_off=True), ENDS, ZONE) == []
    assert due_now(day, PersonState(), ENDS, ZONE, all_off=True) == []
    done = PersonState(done_at=datetime(2026, 3, 13, tzinfo=UTC), reminders_off=True)
    assert status_of(day, done, ENDS, ZONE) == "done"


WRITER = Writer(
    name="Lucía García",
    language="es",
    interests=("Datos abiertos", "Cartografía"),
    looking_for=("Financiación",),
    can_help_with=("Python",),
)


def test_a_draft_is_greeted_signed_and_addressed_only_to_a_shared_e_mail() -> None:
    draft = thank_you(WRITER, Recipient("Pedro Ruiz"), "Congreso")
    assert draft.language == "es"
    assert draft.subject == "Un placer conocerte en Congreso"
    assert "Hola, Pedro Ruiz:" in draft.body
    assert draft.body.rstrip().endswith("Lucía García")
    assert draft.to is None


def test_a_draft_names_a_shared_interest_in_the_recipients_language() -> None:
    other = Recipient(
        "Amira", language="en", email="amira@example.org", interests=("datos abiertos",)
    )
    draft = thank_you(WRITER, other, "Congreso")
    assert draft.language == "en"
    assert "interested in datos abiertos" in draft.body
    assert draft.to == "amira@example.org"


def test_a_draft_names_a_need_met_by_an_offer_or_an_offer_for_a_need() -> None:
    offers = Recipient("Wang Fang 王芳", can_help_with=("financiación",))
    assert "puedes ayudar con financiación" in thank_you(WRITER, offers, "X").body
    needs = Recipient("Wang Fang 王芳", looking_for=("python",))
    assert "buscas python" in thank_you(WRITER, needs, "X").body


def test_a_draft_with_nothing_in_common_thanks_for_the_event() -> None:
    draft = thank_you(WRITER, Recipient("نور", interests=("Música",)), "Congreso Abierto")
    assert "Gracias por nuestra conversación en Congreso Abierto." in draft.body
    assert "Música" not in draft.body


def test_vcard_text_escapes_commas_semicolons_backslashes_and_newlines() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    folded = fold("NOTE:" + "ñ王" * 40)
    lines = folded.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert "".join([lines[0], *(line[1:] for line in lines[1:])]) == "NOTE:" + "ñ王" * 40


def test_a_long_note_in_three_scripts_reads_back_whole_from_the_vcard() -> None:
    note = (
        "ملاحظة طويلة، مع فواصل; 以及中文的长笔记，包含分号；还有换行\n"
        "Y una línea en español, ñandú; fin\\"
    )
    item = FollowupOut(
        connection=7,
        attendee=3,
        card=CardOut(name="نور الهدى 王芳", organization="Núñez; Hijos, S.A.", phone="+20 1"),
        note=note,
        tags=["a,b", "c;d", "e\\f"],
        first_met_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
        last_met_at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
        scan_count=1,
        mutual=False,
        starter=None,
        status="todo",
        done_at=None,
        snoozed_until=None,
        reminders_off=False,
        reminders=[],
        draft=DraftOut("es", "s", "b", None),
    )
    listing = FollowupListOut(
        event=EventBrief("congreso", "Congreso", ENDS, ZONE),
        today=ENDS,
        reminders_off=False,
        digest_opted_out=False,
        followups=[item],
    )
    written = vcards(listing, "en")
    assert all(len(line) <= 75 for line in written.split(b"\r\n"))
    card = vobject.readOne(written.decode("utf-8"))
    assert card.fn.value == "نور الهدى 王芳"
    assert card.org.value == ["Núñez; Hijos, S.A."]
    assert card.categories.value == ["a,b", "c;d", "e\\f"]
    # Met at 23:30 UTC on the 10th: already the 11th in Madrid.
    assert card.note.value == note + "\n\nMet at Congreso on March 11, 2026."
