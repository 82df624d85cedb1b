"""Room posters without a server: their content, every page's QR, and nothing off the page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from api.badges import tokens
from api.models import Event, EventSession
from api.posters import content, render

BASE = "https://enlace.example.org"
LONG_ROOM = (
    "Auditorio Principal del Edificio de Ciencias Exactas y Naturales, planta baja, ala norte"
)
LONG_TITLE = (
    "Keynote: open data in Latin America and the long road to interoperable public registries "
    "across twenty countries, with lessons for everyone who publishes statistics"
)


def event(languages: list[str] | None = None) -> Event:
    return Event(
        slug="expo",
        name="Congreso Abierto de Datos 2026",
        starts_on=date(2026, 10, 5),
        ends_on=date(2026, 10, 7),
        timezone="America/Mexico_City",  # UTC-6 in October
        languages=languages or ["es", "en"],
    )


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` in Mexico City on October `day`, as UTC."""
    return datetime(2026, 10, day, 6, tzinfo=UTC) + timedelta(hours=hour, minutes=minute)


def session(title: str, room: str, day: int, hour: int, length: int = 60) -> EventSession:
    start = at(day, hour)
    return EventSession(title=title, room=room, starts_at=start, ends_at=at(day, hour, length))


SCHEDULE = [
    session("Apertura", "Sala A", 5, 9, 30),
    session("Taller de mapas", "Sala A", 5, 11),
    session("Cierre", "Sala A", 6, 17),
    session("Late talk", "Sala B", 5, 19),  # 01:00 UTC on the 6th: still the 5th in Mexico City
    session("会议", "会议室", 5, 10),
    session("محاضرة", "قاعة المؤتمرات", 5, 10),
    session("Pausa", "", 5, 13),
    session("Pausa larga", "   ", 5, 14),
]


def poster(room: str, schedule: list[EventSession] = SCHEDULE) -> content.PosterContent:
    return content.poster_content(
        event(), room, tokens.new_token(), schedule, date(2026, 10, 5), BASE
    )


def test_rooms_are_the_schedules_distinct_named_rooms() -> None:
    assert content.rooms_of(SCHEDULE) == ["Sala A", "Sala B", "قاعة المؤتمرات", "会议室"]


def test_the_default_day_is_today_in_the_event_while_it_runs_else_its_first_day() -> None:
    assert content.default_day(event(), datetime(2026, 10, 6, 12, tzinfo=UTC)) == date(2026, 10, 6)
    # 03:00 UTC on the 8th is still the 7th, the last day, in Mexico City.
    assert content.default_day(event(), datetime(2026, 10, 8, 3, tzinfo=UTC)) == date(2026, 10, 7)
    assert content.default_day(event(), datetime(2026, 10, 8, 7, tzinfo=UTC)) == date(2026, 10, 5)
    assert content.default_day(event(), datetime(2026, 1, 1, tzinfo=UTC)) == date(2026, 10, 5)


def test_a_day_outside_the_event_is_refused_naming_the_field() -> None:
    with pytest.raises(content.DayOutsideEvent) as refused:
        content.check_day(event(), date(2026, 10, 8))
    assert refused.value.extra == {"field": "day"}
    assert "2026-10-05 to 2026-10-07" in refused.value.detail


def test_a_poster_shows_that_days_sessions_in_the_room_in_event_time() -> None:
    sala_a = poster("Sala A")
    assert [(s.starts, s.ends, s.title) for s in sala_a.sessions] == [
        ("09:00", "09:30", "Apertura"),
        ("11:00", "12:00", "Taller de mapas"),
    ]
    assert [(s.starts, s.title) for s in poster("Sala B").sessions] == [("19:00", "Late talk")]
    assert sala_a.url == f"{BASE}/R/".upper() + sala_a.url.rsplit("/", 1)[1]
    assert re.fullmatch(r"HTTPS://ENLACE\.EXAMPLE\.ORG/R/[0-9A-Z]{28}", sala_a.url)


def test_a_bilingual_event_gets_both_languages_and_a_single_language_one_its_own() -> None:
    both = poster("Sala A")
    assert both.scan[0].startswith("Escanea") and both.scan[1].startswith("Scan")
    assert both.day_heading == (
        "Sesiones del lunes 5 de octubre",
        "Sessions on Monday 5 October",
    )
    english = content.poster_content(
        event(["en"]), "Sala A", tokens.new_token(), SCHEDULE, date(2026, 10, 5), BASE
    )
    assert english.scan == ("Scan this code with your phone's camera to check in",)


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pages_of(pdf: Path, folder: Path) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is needed to render PDF pages")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")], check=True)  # noqa: S603, S607
    return [Image.open(page) for page in sorted(folder.glob("page-*.png"))]


def pdf_text(pdf: Path) -> list[str]:
    """The text of each page, as poppler extracts it."""
    found = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True)  # noqa: S603, S607
    return found.stdout.decode().split("\f")[:-1]


@pytest.mark.parametrize(("paper", "size"), [("a4", "595.28 x 841.89"), ("letter", "612 x 792")])
def test_each_room_gets_a_page_whose_qr_opens_its_poster_url(
    paper: render.Paper, size: str, tmp_path: Path
) -> None:
    posters = [poster(room) for room in [*content.rooms_of(SCHEDULE), LONG_ROOM]]
    pdf = tmp_path / "posters.pdf"
    with pdf.open("wb") as out:
        assert render.write_posters(posters, paper, out, "Posters") == 5
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True).stdout.decode()  # noqa: S603, S607
    assert re.search(r"Pages:\s+5\n", info) and f"Page size:       {size} pts" in info
    pages = pages_of(pdf, tmp_path)
    assert [decoded(page) for page in pages] == [[p.url] for p in posters]
    texts = pdf_text(pdf)
    assert "Sala A" in texts[0] and "Apertura" in texts[0] and "Taller de mapas" in texts[0]
    assert "Cierre" not in texts[0]  # another day's session
    assert "会议室" in texts[3] and "会议" in texts[3]
    assert LONG_ROOM in texts[4] and "No hay sesiones en esta sala este día" in texts[4]
    assert all("Scan this code with your phone's camera to check in" in text for text in texts)


def _inside(marks: list[render.Mark], paper: render.Paper) -> None:
    width, height = render.PAPERS[paper]
    for mark in marks:
        if isinstance(mark, render.Text):
            assert mark.x >= render.MARGIN - 0.01 and mark.top >= render.MARGIN - 0.01
            assert mark.top + mark.height <= height - render.MARGIN + 0.01, mark.source
            for line in mark.block.lines:
                assert line.width * mark.block.size <= mark.width + 0.01, mark.source
            assert mark.x + mark.width <= width - render.MARGIN + 0.01
        elif isinstance(mark, render.Code):
            assert mark.x > render.MARGIN and mark.x + mark.side < width - render.MARGIN
            assert mark.y + mark.side < height - render.MARGIN


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_long_names_and_a_full_day_wrap_and_stay_on_the_page(paper: render.Paper) -> None:
    schedule = [session(f"{LONG_TITLE} ({n})", LONG_ROOM, 5, 8 + n // 4) for n in range(30)]
    full = poster(LONG_ROOM, schedule)
    marks = render.layout_poster(full, paper)
    _inside(marks, paper)
    texts = [m for m in marks if isinstance(m, render.Text)]
    room = next(m for m in texts if m.source == LONG_ROOM)
    assert len(room.block.lines) > 1 and room.block.size >= 24  # wrapped, still large
    titles = [m for m in texts if m.source.startswith("Keynote")]
    assert 3 <= len(titles) < 30 and all(len(m.block.lines) == 2 for m in titles)
    assert texts[-1].source == f"y {30 - len(titles)} más  ·  and {30 - len(titles)} more"
    code = next(m for m in marks if isinstance(m, render.Code))
    assert code.side >= 120  # the QR keeps its size whatever the text around it


@pytest.mark.parametrize(
    "room",
    [
        "Sala Grande Norte Este",
        "会议室 王小明 大礼堂 北楼 第三层",
        "قاعة المؤتمرات الكبرى الشمالية",
        "X" * 100,
    ],
)
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_any_room_name_fits_with_the_qr_and_a_busy_day(room: str, paper: render.Paper) -> None:
    schedule = [session(f"Sesión {n}", room, 5, 8 + n // 2) for n in range(12)]
    marks = render.layout_poster(poster(room, schedule), paper)
    _inside(marks, paper)
    assert any(isinstance(m, render.Text) and m.source == room for m in marks)


def test_the_qr_is_large_on_an_ordinary_poster() -> None:
    for paper in ("a4", "letter"):
        marks = render.layout_poster(poster("Sala A"), paper)  # type: ignore[arg-type]
        _inside(marks, paper)  # type: ignore[arg-type]
        code = next(m for m in marks if isinstance(m, render.Code))
        assert code.side >= 240  # 85 mm of modules or more: read from a couple of metres
