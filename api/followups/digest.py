"""The follow-up digest e-mail of one attendee, rendered from data (no database, no HTTP).

One attendee's people met (with their private notes), the drafted thank-yous and the reminders
due, in the attendee's language; dates and times formatted by Babel for that language in the
event's time zone. The same function renders the organizer's preview from `sample_digest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from html import escape
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval

from api.i18n import pick_language, translate

REMINDER_KINDS = ("thank_you", "share", "reach_out")
# A digest lists this many people in full; the rest are counted and wait in the app, so a very
# sociable attendee's mail stays readable (and under mail size limits).
MAX_PEOPLE = 40


@dataclass(frozen=True, slots=True)
class DigestDraft:
    subject: str
    body: str
    to: str | None = None


@dataclass(frozen=True, slots=True)
class DigestPerson:
    """Someone the attendee met, as the attendee's own digest shows them."""

    name: str
    organization: str
    last_met_at: datetime
    scan_count: int = 1
    note: str = ""
    tags: tuple[str, ...] = ()
    # Reminder kinds due now for this person (see api.followups.reminders).
    due: tuple[str, ...] = ()
    status: str = "todo"
    draft: DigestDraft | None = None


@dataclass(frozen=True, slots=True)
class DigestEvent:
    name: str
    slug: str
    starts_on: date
    ends_on: date
    timezone: str


@dataclass(frozen=True, slots=True)
class DigestLinks:
    # Opens the follow-up list and signs the reader in (once, for a week).
    followups: str
    unsubscribe: str


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subject: str
    text: str
    html: str
    people: int = 0
    due: int = 0


def default_digest_time(ends_on: date, timezone: str, now: datetime | None = None) -> datetime:
    """The suggested send time: 09:00 on the morning after the event's last day, in its zone;
    for an event already over by then, 09:00 on the next morning after `now`."""
    zone = ZoneInfo(timezone)
    local = datetime.combine(ends_on + timedelta(days=1), time(9, 0), tzinfo=zone)
    if now is not None and local <= now:
        local = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(9, 0), zone)
    return local.astimezone(UTC)


@cache
def _met_pattern(language: str) -> tuple[Locale, str]:
    """The locale and its pattern for "weekday, day month year, time" (parsed once)."""
    locale = Locale.parse(language)
    day = locale.datetime_skeletons["yMMMEd"].pattern
    clock = locale.time_formats["short"].pattern
    # The locale's own way of joining a date and a time ("{1}, {0}", "{1} 'at' {0}"...).
    glue = str(locale.datetime_formats["medium"])
    return locale, glue.replace("{1}", day).replace("{0}", clock)


def format_met(moment: datetime, language: str, timezone: str) -> str:
    """A meeting time as a reader of `language` writes it, in the event's zone."""
    # The pattern stops at minutes (the locale's short time): cached by the minute, since
    # meetings are stored to the microsecond and almost never repeat exactly.
    return _format_minute(moment.replace(second=0, microsecond=0), language, timezone)


# Meetings fall on the same minutes across an event's digests: a 10,000-person event's come
# from a few thousand minutes, each written once per language instead of once per mention
# (Babel took a third of rendering a digest).
@lru_cache(maxsize=16384)
def _format_minute(minute: datetime, language: str, timezone: str) -> str:
    locale, pattern = _met_pattern(language)
    return format_datetime(minute, pattern, tzinfo=ZoneInfo(timezone), locale=locale)


def format_event_dates(event: DigestEvent, language: str) -> str:
    if event.starts_on == event.ends_on:
        return format_date(event.starts_on, "long", locale=language)
    return format_interval(event.starts_on, event.ends_on, "yMMMd", locale=language)


def _due_items(people: list[DigestPerson]) -> list[tuple[DigestPerson, str]]:
    return [
        (person, kind)
        for person in people
        for kind in REMINDER_KINDS
        if kind in person.due and person.status != "snoozed"
    ]


def render_digest(
    recipient: str,
    event: DigestEvent,
    people: list[DigestPerson],
    language: str,
    links: DigestLinks,
) -> RenderedDigest:
    """Subject, text and HTML of one attendee's digest; `people` newest met first."""
    lang = pick_language(language)

    def say(key: str, **values: object) -> str:
        return translate(lang, f"digest.{key}", **values)

    shown, hidden = people[:MAX_PEOPLE], max(0, len(people) - MAX_PEOPLE)
    due = _due_items(people)
    dates = format_event_dates(event, lang)
    subject = say("subject", event=event.name)
    greeting = say("greeting", name=recipient) if recipient else say("greeting_anonymous")
    intro = say("intro", count=len(people), event=event.name, dates=dates)
    if len(people) == 1:
        intro = say("intro_one", event=event.name, dates=dates)
    private = say("private")
    open_label = say("open")
    open_help = say("open_help")

    def reminder(kind: str) -> str:
        return say(f"reminder.{kind}")

    def met_line(person: DigestPerson) -> str:
        when = format_met(person.last_met_at, lang, event.timezone)
        if person.scan_count > 1:
            return say("met_times", when=when, count=person.scan_count)
        return say("met", when=when)

    def who(person: DigestPerson) -> str:
        return f"{person.name} ({person.organization})" if person.organization else person.name

    # The text part.
    lines = [greeting, "", intro, private, "", f"{open_label}: {links.followups}", open_help, ""]
    if due:
        lines += [say("due_heading", count=len(due)), ""]
        lines += [f"- {reminder(kind)}: {who(person)}" for person, kind in due]
        lines.append("")
    lines += [say("people_heading"), ""]
    met = [met_line(person) for person in shown]
    for number, person in enumerate(shown, 1):
        lines.append(f"{number}. {who(person)}")
        lines.append(f"   {met[number - 1]}")
        if person.status == "done":
            lines.append(f"   {say('done')}")
        if person.note:
            lines.append(f"   {say('note')}: " + shortened(person.note).replace("\n", "\n   "))
        if person.tags:
            lines.append(f"   {say('tags')}: {', '.join(person.tags)}")
        if person.draft is not None and person.status != "done":
            heading = say("draft_to", to=person.draft.to) if person.draft.to else say("draft")
            lines.append(f"   {heading}")
            lines.append(f"   {say('draft_subject')}: {person.draft.subject}")
            lines.extend(f"   > {row}" if row else "   >" for row in person.draft.body.split("\n"))
        lines.append("")
    if hidden:
        lines += [say("more", count=hidden), ""]
    lines += ["-- ", say("why", event=event.name), f"{say('unsubscribe')}: {links.unsubscribe}"]
    text = "\n".join(lines) + "\n"

    html = _render_html(
        lang=lang,
        subject=subject,
        greeting=greeting,
        intro=intro,
        private=private,
        open_label=open_label,
        open_help=open_help,
        links=links,
        due=[(who(person), reminder(kind)) for person, kind in due],
        due_heading=say("due_heading", count=len(due)),
        people_heading=say("people_heading"),
        people=[
            {
                "who": who(person),
                "met": met[index],
                "done": say("done") if person.status == "done" else "",
                "note": shortened(person.note),
                "note_label": say("note"),
                "tags": ", ".join(person.tags),
                "tags_label": say("tags"),
                "draft_heading": (
                    say("draft_to", to=person.draft.to) if person.draft.to else say("draft")
                )
                if person.draft is not None and person.status != "done"
                else "",
                "draft_subject": person.draft.subject if person.draft is not None else "",
                "draft_subject_label": say("draft_subject"),
                "draft_body": person.draft.body if person.draft is not None else "",
            }
            for index, person in enumerate(shown)
        ],
        more=say("more", count=hidden) if hidden else "",
        why=say("why", event=event.name),
        unsubscribe=say("unsubscribe"),
    )
    return RenderedDigest(subject=subject, text=text, html=html, people=len(people), due=len(due))


# A note longer than this is cut in the mail (the whole note is in the app, one tap away).
NOTE_CHARS = 600


def shortened(note: str) -> str:
    """The note as the mail shows it: whole, or its first NOTE_CHARS cut at a word, with "…"."""
    if len(note) <= NOTE_CHARS:
        return note
    cut = note[:NOTE_CHARS].rsplit(" ", 1)[0] or note[:NOTE_CHARS]
    return cut.rstrip(",;:. ") + "…"


# Inline styles only: mail clients drop <style> blocks and external sheets. One column, 16 px
# text and a wide tap target read well on a phone.
_BODY = "margin:0;padding:0;background:#f4f4f1;color:#1b1b1b;"
_CARD = (
    "max-width:600px;margin:0 auto;padding:20px 16px;background:#ffffff;"
    "font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;"
    # A long word (a pasted link, a note without spaces) wraps instead of widening the mail.
    "overflow-wrap:anywhere;word-break:break-word;"
)
_BUTTON = (
    "display:inline-block;padding:12px 20px;background:#0b5d4b;color:#ffffff;"
    "text-decoration:none;border-radius:6px;font-weight:bold;"
)
_PERSON = "border-top:1px solid #d6d6d0;padding:12px 0;"
_MUTED = "color:#4a4a45;font-size:14px;"
_QUOTE = (
    "margin:8px 0 0;padding:8px 12px;background:#f4f4f1;border-left:4px solid #0b5d4b;"
    "white-space:pre-wrap;"
)


def _lines(value: str) -> str:
    return escape(value).replace("\n", "<br>")


def _render_html(
    *,
    lang: str,
    subject: str,
    greeting: str,
    intro: str,
    private: str,
    open_label: str,
    open_help: str,
    links: DigestLinks,
    due: list[tuple[str, str]],
    due_heading: str,
    people_heading: str,
    people: list[dict[str, str]],
    more: str,
    why: str,
    unsubscribe: str,
) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(subject)}</title></head>",
        f'<body style="{_BODY}"><div style="{_CARD}">',
        f"<p>{escape(greeting)}</p>",
        f"<p>{escape(intro)} {escape(private)}</p>",
        f'<p><a href="{escape(links.followups)}" style="{_BUTTON}">{escape(open_label)}</a></p>',
        f'<p style="{_MUTED}">{escape(open_help)}</p>',
    ]
    if due:
        parts.append(f'<h2 style="font-size:20px;margin:24px 0 8px;">{escape(due_heading)}</h2>')
        parts.append('<ul style="padding-left:20px;margin:0;">')
        parts += [f"<li><strong>{escape(kind)}</strong>: {escape(name)}</li>" for name, kind in due]
        parts.append("</ul>")
    parts.append(f'<h2 style="font-size:20px;margin:24px 0 8px;">{escape(people_heading)}</h2>')
    for person in people:
        parts.append(f'<div style="{_PERSON}">')
        parts.append(f'<h3 style="font-size:18px;margin:0;">{escape(person["who"])}</h3>')
        parts.append(f'<p style="{_MUTED}margin:0;">{escape(person["met"])}</p>')
        if person["done"]:
            parts.append(f'<p style="{_MUTED}margin:0;">{escape(person["done"])}</p>')
        if person["note"]:
            parts.append(
                f'<p style="margin:8px 0 0;"><strong>{escape(person["note_label"])}:</strong> '
                f"{_lines(person['note'])}</p>"
            )
        if person["tags"]:
            parts.append(
                f'<p style="margin:4px 0 0;"><strong>{escape(person["tags_label"])}:</strong> '
                f"{escape(person['tags'])}</p>"
            )
        if person["draft_heading"]:
            parts.append(
                f'<p style="margin:8px 0 0;"><strong>{escape(person["draft_heading"])}</strong></p>'
            )
            parts.append(
                f'<div style="{_QUOTE}"><strong>{escape(person["draft_subject_label"])}:</strong> '
                f"{escape(person['draft_subject'])}<br><br>{_lines(person['draft_body'])}</div>"
            )
        parts.append("</div>")
    if more:
        parts.append(f"<p>{escape(more)}</p>")
    parts += [
        '<hr style="border:0;border-top:1px solid #d6d6d0;margin:24px 0 12px;">',
        f'<p style="{_MUTED}">{escape(why)}<br>',
        f'<a href="{escape(links.unsubscribe)}" style="color:#0b5d4b;">{escape(unsubscribe)}</a>'
        "</p>",
        "</div></body></html>",
    ]
    return "\n".join(parts) + "\n"


def sample_digest(language: str, event: DigestEvent) -> tuple[str, list[DigestPerson]]:
    """Made-up people for the organizer's preview: the recipient's name and whom they met.

    Nobody real: an organizer never sees an attendee's notes, so the preview shows these instead.
    """
    lang = pick_language(language)
    zone = ZoneInfo(event.timezone)
    last_day = event.ends_on

    def at(day: date, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)

    def sample(key: str, **values: object) -> str:
        return translate(lang, f"digest.sample.{key}", **values)

    people = [
        DigestPerson(
            name="Lucía Fernández",
            organization="Cooperativa Tejido",
            last_met_at=at(last_day, 16, 40),
            scan_count=2,
            note=sample("note_lucia"),
            tags=(sample("tag_partner"),),
            due=("thank_you",),
            draft=DigestDraft(
                subject=sample("draft_subject", event=event.name),
                body=sample("draft_lucia", event=event.name),
                to="lucia@example.org",
            ),
        ),
        DigestPerson(
            name="Kwame Mensah",
            organization="Open Maps Lab",
            last_met_at=at(event.starts_on, 11, 5),
            note=sample("note_kwame"),
            due=("thank_you",),
            draft=DigestDraft(
                subject=sample("draft_subject", event=event.name),
                body=sample("draft_kwame", event=event.name),
            ),
        ),
        DigestPerson(
            name="Mei Lin",
            organization="",
            last_met_at=at(event.starts_on, 9, 30),
            status="done",
        ),
    ]
    return sample("recipient"), people
