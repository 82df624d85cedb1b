"""My contacts as files, pure: vCard 4.0, CSV, and my reminders as iCalendar.

vCard is written here, by a small writer of RFC 6350: no maintained Python library writes
vCard 4.0 (vobject writes 3.0 and is used in the tests only, to read what this writes). Each
card holds only what the person shares (the card of `api.attendees.card.shared_card`); the
private note goes in NOTE, with the event and the day we met after it (NOTE is what phones'
contact apps show; an X- property they would not), tags in CATEGORIES.

The calendar is written with the `icalendar` library: one all-day event per reminder that is on
(all-day dates need no time zone: a day is the same day wherever the phone is), marked
transparent so it does not show the attendee as busy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from babel.dates import format_date

from api.followups.schemas import FollowupListOut, FollowupOut
from api.i18n import translate
from api.spreadsheets.csv_stream import write_csv

# RFC 6350 3.2: a line is at most 75 octets; longer ones continue on lines that start with a
# space (which counts towards their 75).
LINE_OCTETS = 75
CRLF = "\r\n"
# The namespace of every UID made here (a card's and a reminder's, stable across downloads).
UID_NAMESPACE = uuid.UUID("0b9a8f8e-5c1e-4d35-9d0e-1f6e8b1c2a7d")


def escape_text(value: str) -> str:
    """A TEXT value as RFC 6350 3.4 writes it: backslash, comma, semicolon and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded at 75 octets, never inside a UTF-8 sequence, CRLF-terminated."""
    pieces: list[str] = []
    current: list[str] = []
    used, limit = 0, LINE_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if used + size > limit:
            pieces.append("".join(current))
            current, used, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        used += size
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces) + CRLF


def _property(name: str, value: str, params: str = "") -> str:
    return fold(f"{name}{params}:{value}")


def met_on(moment: datetime, timezone: str, language: str) -> str:
    """The day we met, in the event's time zone, written for the language."""
    day = moment.astimezone(ZoneInfo(timezone)).date()
    return format_date(day, format="long", locale=language)


def card_uid(slug: str, connection: int, kind: str = "card") -> str:
    return str(uuid.uuid5(UID_NAMESPACE, f"{slug}:{connection}:{kind}"))


def vcard(item: FollowupOut, slug: str, event: str, timezone: str, language: str) -> str:
    """One vCard 4.0 of one person I met: only what they share, my note, my tags."""
    card = item.card
    lines = [
        "BEGIN:VCARD" + CRLF,
        "VERSION:4.0" + CRLF,
        _property("UID", f"urn:uuid:{card_uid(slug, item.connection)}"),
        _property("FN", escape_text(card.name)),
        # Names are not split into given and family names (that differs by culture): the whole
        # name is the given name, which every contact app shows as written.
        _property("N", f";{escape_text(card.name)};;;"),
    ]
    if card.organization:
        lines.append(_property("ORG", escape_text(card.organization)))
    if card.role:
        lines.append(_property("TITLE", escape_text(card.role)))
    if card.email:
        lines.append(_property("EMAIL", escape_text(card.email)))
    if card.phone:
        lines.append(_property("TEL", escape_text(card.phone), ";VALUE=text"))
    lines += [_property("URL", escape_text(link)) for link in card.links or ()]
    note = [item.note.strip()] if item.note.strip() else []
    met = translate(
        language, "contacts.met", event=event, day=met_on(item.first_met_at, timezone, language)
    )
    note.append(met)
    for field, terms in (
        ("interests", card.interests),
        ("looking_for", card.looking_for),
        ("can_help_with", card.can_help_with),
    ):
        if terms:
            label = translate(language, f"contacts.{field}")
            note.append(f"{label}: {', '.join(terms)}")
    if card.bio:
        note.append(card.bio)
    lines.append(_property("NOTE", escape_text("\n\n".join(note))))
    if item.tags:
        lines.append(_property("CATEGORIES", ",".join(escape_text(tag) for tag in item.tags)))
    lines.append("END:VCARD" + CRLF)
    return "".join(lines)


def vcards(listing: FollowupListOut, language: str) -> bytes:
    """Every person of my follow-up list as vCard 4.0 (UTF-8, CRLF)."""
    event = listing.event
    return "".join(
        vcard(item, event.slug, event.name, event.timezone, language) for item in listing.followups
    ).encode("utf-8")


CSV_FIELDS = (
    "name",
    "organization",
    "role",
    "email",
    "phone",
    "links",
    "interests",
    "looking_for",
    "can_help_with",
    "note",
    "tags",
    "first_met",
    "last_met",
    "times_met",
    "status",
)


def contacts_csv(listing: FollowupListOut, language: str) -> bytes:
    """My contacts as CSV: headers in my language, only what each person shares."""
    zone = ZoneInfo(listing.event.timezone)

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def joined(terms: Sequence[str] | None) -> str:
        return "; ".join(terms or ())

    rows: list[list[str | int | None]] = [
        [translate(language, f"contacts.{field}") for field in CSV_FIELDS]
    ]
    for item in listing.followups:
        card = item.card
        rows.append(
            [
                card.name,
                card.organization,
                card.role,
                card.email,
                card.phone,
                joined(card.links),
                joined(card.interests),
                joined(card.looking_for),
                joined(card.can_help_with),
                item.note,
                joined(item.tags),
                when(item.first_met_at),
                when(item.last_met_at),
                item.scan_count,
                translate(language, f"contacts.status_{item.status}"),
            ]
        )
    return write_csv(rows)


def _reminder_events(
    listing: FollowupListOut, language: str, stamp: datetime
) -> Iterable[icalendar.Event]:
    event = listing.event
    for item in listing.followups:
        for reminder in item.reminders:
            if not reminder.on:
                continue
            entry = icalendar.Event()
            entry.add("uid", f"{card_uid(event.slug, item.connection, reminder.kind)}@enlace")
            entry.add("dtstamp", stamp)
            entry.add("dtstart", reminder.due)
            entry.add("dtend", reminder.due + timedelta(days=1))
            entry.add(
                "summary",
                translate(language, f"reminders.{reminder.kind}", name=item.card.name),
            )
            about = [translate(language, "reminders.met", event=event.name)]
            if reminder.kind == "share" and item.card.interests:
                about.append(
                    translate(language, "reminders.interests", terms=", ".join(item.card.interests))
                )
            if item.card.email:
                about.append(item.card.email)
            entry.add("description", "\n".join(about))
            entry.add("transp", "TRANSPARENT")
            yield entry


def reminders_calendar(listing: FollowupListOut, language: str, stamp: datetime) -> bytes:
    """My reminders that are on, as iCalendar (RFC 5545) all-day events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Enlace//Follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = translate(language, "reminders.calendar", event=listing.event.name)
    calendar.add("x-wr-calname", name)
    for entry in _reminder_events(listing, language, stamp):
        calendar.add_component(entry)
    written: bytes = calendar.to_ical()
    return written
