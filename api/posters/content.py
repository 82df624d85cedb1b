"""What a room's poster says, from the event and its schedule: pure, no database or HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.errors import DomainError
from api.i18n import LANGUAGES, translate
from api.models import Event, EventSession

POSTER_PATH = "R"


class DayOutsideEvent(DomainError):
    """A poster day before or after the event (a 400 naming `day`)."""

    code = "day_outside_event"


def poster_url(base_url: str, token: str) -> str:
    """`BASE_URL/R/TOKEN` in upper case, so the QR can use the compact alphanumeric mode."""
    return f"{base_url.rstrip('/')}/{POSTER_PATH}/{token}".upper()


def rooms_of(sessions: Iterable[EventSession]) -> list[str]:
    """The distinct rooms of a schedule (blank ones left out), in alphabetical order."""
    return sorted({s.room for s in sessions if s.room.strip()}, key=lambda r: (r.casefold(), r))


def event_days(event: Event) -> list[date]:
    """Every day of the event, first to last."""
    count = (event.ends_on - event.starts_on).days + 1
    return [event.starts_on + timedelta(days=n) for n in range(max(count, 1))]


def default_day(event: Event, now: datetime) -> date:
    """Today in the event's time zone while the event runs, else its first day."""
    today = now.astimezone(ZoneInfo(event.timezone)).date()
    return today if event.starts_on <= today <= event.ends_on else event.starts_on


def check_day(event: Event, day: date) -> date:
    """`day` when it is one of the event's days."""
    if not event.starts_on <= day <= event.ends_on:
        raise DayOutsideEvent(
            f"day: {day.isoformat()} is not a day of the event; choose a day from "
            f"{event.starts_on.isoformat()} to {event.ends_on.isoformat()}.",
            field="day",
        )
    return day


def poster_languages(event: Event) -> tuple[str, ...]:
    """The event's languages in its own order (Spanish when it names none we speak)."""
    chosen = tuple(dict.fromkeys(lang for lang in event.languages if lang in LANGUAGES))
    return chosen or ("es",)


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session on a poster, with its times in the event's time zone."""

    starts: str
    ends: str
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class PosterContent:
    """Everything one room's poster shows; texts come once per language of the event."""

    room: str
    event_name: str
    url: str
    day: date
    sessions: tuple[SessionLine, ...]
    scan: tuple[str, ...]
    no_camera: tuple[str, ...]
    day_heading: tuple[str, ...]
    no_sessions: tuple[str, ...]
    more: tuple[str, ...]  # with a {count} placeholder, filled by the layout


def long_date(language: str, day: date) -> str:
    """`day` as words in `language`, e.g. "jueves 3 de diciembre"."""
    weekday = translate(language, "posters.weekdays").split(",")[day.weekday()]
    month = translate(language, "posters.months").split(",")[day.month - 1]
    return translate(language, "posters.date", weekday=weekday, day=day.day, month=month)


def sessions_in(
    schedule: Iterable[EventSession], room: str, day: date, zone: ZoneInfo
) -> list[SessionLine]:
    """The sessions in `room` that start on `day` (event time), earliest first."""
    found = []
    for session in schedule:
        starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
        if session.room == room and starts.date() == day:
            found.append(
                SessionLine(
                    starts.strftime("%H:%M"),
                    ends.strftime("%H:%M"),
                    session.title,
                    session.starts_at,
                    session.ends_at,
                )
            )
    return sorted(found, key=lambda line: (line.starts_at, line.ends_at, line.title))


def poster_content(
    event: Event,
    room: str,
    token: str,
    schedule: Sequence[EventSession],
    day: date,
    base_url: str,
) -> PosterContent:
    """The poster of `room` on `day`: its QR's URL, that day's sessions there, and its texts."""
    languages = poster_languages(event)
    url = poster_url(base_url, token)

    def texts(key: str, **values: object) -> tuple[str, ...]:
        return tuple(translate(lang, key, **values) for lang in languages)

    return PosterContent(
        room=room,
        event_name=event.name,
        url=url,
        day=day,
        sessions=tuple(sessions_in(schedule, room, day, ZoneInfo(event.timezone))),
        scan=texts("posters.scan"),
        no_camera=texts("posters.open"),
        day_heading=tuple(
            translate(lang, "posters.sessions_on", date=long_date(lang, day)) for lang in languages
        ),
        no_sessions=texts("posters.no_sessions"),
        more=tuple(translate(lang, "posters.more", count="{count}") for lang in languages),
    )
