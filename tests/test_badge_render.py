"""Badge rendering without a server: every badge decodes with an independent QR reader."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import cairosvg
import pytest
import zxingcpp
from PIL import Image

from api.badges import qr, render, text, tokens

BASE = "https://enlace.example.org"
NAMES = {
    "latin": ("María José Fernández", "Universidad de Buenos Aires", "Investigadora"),
    "chinese": ("王小明", "清华大学", "教授"),
    "arabic": ("محمد عبد الله", "جامعة القاهرة", "باحث"),
    "very long": (
        "Bartholomew Alexander Featherstonehaugh-Montgomery de la Cruz y Villanueva Ortega",
        "International Organization for Standardization and Interoperability of Things",
        "Chief Executive Officer and Principal Investigator of Everything",
    ),
    "no organization": ("Ana", "", ""),
}


def badge(name: str, organization: str = "", role: str = "") -> render.BadgeData:
    token = tokens.new_token()
    return render.BadgeData(
        name, organization, role, "Enlace Demo 2026", token, tokens.badge_url(BASE, token)
    )


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_tokens_are_long_random_and_in_crockford_base32() -> None:
    seen = {tokens.new_token() for _ in range(2000)}
    assert len(seen) == 2000
    for token in list(seen)[:50]:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{28}", token)
    assert tokens.TOKEN_LENGTH * 5 >= 128


def test_a_typed_code_is_forgiving_about_case_separators_and_lookalikes() -> None:
    token = "0123456789ABCDEFGHJKMNPQRSTV"
    typed = "o123-4567 89ab-cdef-ghjk mnpq-rstv"
    assert tokens.normalize_token(typed) == token
    assert tokens.normalize_token(tokens.display_code(token)) == token
    assert (
        tokens.normalize_token("0123456789ABCDEFGHJKMNPQRSTU") is None
    )  # U is not in the alphabet
    assert tokens.normalize_token("TOO-SHORT") is None


def test_a_scanned_badge_url_or_bare_code_gives_the_token() -> None:
    token = tokens.new_token()
    url = tokens.badge_url("http://127.0.0.1:8000", token)
    assert url == f"HTTP://127.0.0.1:8000/B/{token}"
    assert tokens.token_from_scan(url) == token
    assert tokens.token_from_scan(url.lower()) == token
    assert tokens.token_from_scan(token) == token
    assert tokens.token_from_scan("https://example.org/some/other/page") is None


def test_the_qr_uses_alphanumeric_mode_and_carries_only_the_url() -> None:
    data = badge("María José Fernández", "Acme")
    matrix = qr.encode(data.url)
    results = zxingcpp.read_barcodes(qr.to_image(matrix, 4))
    assert [r.text for r in results] == [data.url]
    assert "María" not in results[0].text
    # Alphanumeric mode: a 57-character URL fits version 3 (29 modules) at level M.
    assert matrix.size == 29


@pytest.mark.parametrize("script", list(NAMES))
def test_the_png_badge_decodes(script: str) -> None:
    data = badge(*NAMES[script])
    image = Image.open(io.BytesIO(render.badge_png(data)))
    assert image.size == (800, 600)
    assert decoded(image) == [data.url]


@pytest.mark.parametrize("script", list(NAMES))
def test_the_svg_badge_decodes_when_rasterized(script: str) -> None:
    data = badge(*NAMES[script])
    svg = render.badge_svg(data)
    assert "<text" not in svg  # outlines: no font needed wherever it is opened
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=800)
    assert decoded(Image.open(io.BytesIO(png))) == [data.url]


def _rendered_pages(pdf: Path, out: Path) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is needed to render PDF pages")
    subprocess.run(["pdftoppm", "-r", "110", "-png", str(pdf), str(out / "page")], check=True)  # noqa: S603, S607
    return [Image.open(page) for page in sorted(out.glob("page-*.png"))]


@pytest.mark.parametrize("layout", list(render.LAYOUTS))
def test_every_badge_on_every_pdf_page_decodes(layout: str, tmp_path: Path) -> None:
    sheet = render.LAYOUTS[layout]
    badges = [badge(*person) for person in NAMES.values()] * 2
    pdf = tmp_path / "badges.pdf"
    with pdf.open("wb") as out:
        assert render.write_badge_sheets(badges, sheet, out, "Enlace Demo 2026") == len(badges)
    pages = _rendered_pages(pdf, tmp_path)
    assert len(pages) == -(-len(badges) // sheet.per_page)
    found = sorted(url for page in pages for url in decoded(page))
    assert found == sorted(b.url for b in badges)


def test_pdf_pages_have_the_paper_size(tmp_path: Path) -> None:
    for key, (width, height) in {"a4": (595.28, 841.89), "letter": (612, 792)}.items():
        out = io.BytesIO()
        render.write_badge_sheets([badge("Ana")], render.LAYOUTS[key], out)
        box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", out.getvalue())
        assert box and (float(box[1]), float(box[2])) == pytest.approx((width, height), abs=0.01)


def _first_page_content(layout: str) -> str:
    out = io.BytesIO()
    render.write_badge_sheets([badge("Ana")], render.LAYOUTS[layout], out)
    found = re.search(rb"stream\n(.*?)\nendstream", out.getvalue(), re.DOTALL)
    assert found
    return zlib.decompress(found[1]).decode()


def test_plain_paper_sheets_have_crop_marks_outside_the_badges() -> None:
    sheet = render.LAYOUTS["a4"]
    crop_marks = _first_page_content("a4").split("\n")[0]
    assert crop_marks.startswith("0 G 0.3 w")
    strokes = re.findall(r"([\d.]+) ([\d.]+) m ([\d.]+) ([\d.]+) l S", crop_marks)
    marks = [tuple(map(float, s)) for s in strokes if s[0] == s[2] or s[1] == s[3]]
    assert len(marks) >= 2 * (sheet.columns + 1) + 2 * (sheet.rows + 1)
    grid_left, grid_right = sheet.left, sheet.left + sheet.columns * sheet.badge_width
    grid_top = sheet.page_height - sheet.top
    grid_bottom = grid_top - sheet.rows * sheet.badge_height
    for x1, y1, x2, y2 in marks:
        inside_x = grid_left < min(x1, x2) and max(x1, x2) < grid_right
        inside_y = grid_bottom < min(y1, y2) and max(y1, y2) < grid_top
        assert not (inside_x and inside_y), "a crop mark would print on a badge"


def test_precut_stock_gets_no_crop_marks() -> None:
    assert not re.search(r"0 G 0.3 w", _first_page_content("avery-5392"))
    assert re.search(r"0 G 0.3 w", _first_page_content("letter"))


def _ink_box(marks: list[render.Mark]) -> tuple[float, float]:
    """The rightmost and lowest extent of all text on a badge."""
    right = bottom = 0.0
    for mark in marks:
        if isinstance(mark, render.TextMark):
            for line in mark.block.lines:
                right = max(right, mark.x + line.width * mark.block.size)
            bottom = max(bottom, mark.top + len(mark.block.lines) * mark.block.size * 1.2)
    return right, bottom


@pytest.mark.parametrize("script", list(NAMES))
def test_text_never_overflows_the_badge_or_runs_into_the_qr(script: str) -> None:
    width, height = render.LAYOUTS["a4"].badge_width, render.LAYOUTS["a4"].badge_height
    marks = render.layout_badge(badge(*NAMES[script]), width, height)
    code = next(m for m in marks if isinstance(m, render.QrMark))
    texts = [m for m in marks if isinstance(m, render.TextMark) and m.x + m.width < code.x]
    assert texts
    right, bottom = _ink_box(texts)  # type: ignore[arg-type]
    assert right <= code.x - 4 * code.side / code.matrix.size  # clear of the quiet zone
    assert bottom <= height


def test_long_names_shrink_then_wrap_then_end_with_an_ellipsis() -> None:
    short = text.fit("Ana", "bold", 150, 80, 28, 12, 3)
    assert short.size == 28 and len(short.lines) == 1
    two = text.fit("María José Fernández", "bold", 150, 80, 28, 12, 3)
    assert len(two.lines) == 2 and two.size > 12
    cut = text.fit("W" * 200, "bold", 150, 80, 28, 12, 3)
    assert cut.size == 12
    assert all(line.width * cut.size <= 150 for line in cut.lines)


@pytest.mark.parametrize("layout", sorted(render.LAYOUTS))
def test_a_long_event_name_shrinks_and_wraps_before_it_is_cut(layout: str) -> None:
    width, height = render.LAYOUTS[layout].badge_width, render.LAYOUTS[layout].badge_height
    token = tokens.new_token()
    data = render.BadgeData(
        "María José Fernández",
        "Universidad de Buenos Aires",
        "",
        "Congreso Datos y Sociedad — Madrid 2026",
        token,
        tokens.badge_url(BASE, token),
    )
    marks = render.layout_badge(data, width, height)
    code = next(m for m in marks if isinstance(m, render.QrMark))
    event = next(m for m in marks if isinstance(m, render.TextMark) and m.top < code.y + 1)
    # Cut only happens at the smallest size: above it, every word of the name is there.
    assert event.block.size > render.EVENT_MIN_SIZE
    assert 1 <= len(event.block.lines) <= 2
    texts = [m for m in marks if isinstance(m, render.TextMark) and m.x + m.width < code.x]
    right, bottom = _ink_box(texts)  # type: ignore[arg-type]
    assert right <= code.x - 4 * code.side / code.matrix.size and bottom <= height


def test_missing_organization_and_role_leave_no_empty_text() -> None:
    marks = render.layout_badge(badge("Ana"), 288, 216)
    texts = [m for m in marks if isinstance(m, render.TextMark)]
    assert len(texts) == 3  # the code under the QR, the event name and the name


def test_installed_fonts_cover_the_scripts_the_readme_promises() -> None:
    covered = text.coverage()
    missing = [script for script, ok in covered.items() if not ok]
    assert not missing, f"install the badge fonts (make fonts): missing {missing}"


def test_characters_no_font_draws_are_left_out_rather_than_boxes() -> None:
    line = text.shape("Zoë \U0001f680", "bold")
    assert all(glyph.glyph_id != 0 for glyph in line.glyphs)  # glyph 0 is the "tofu" box


def test_a_word_wider_than_the_line_is_split_and_the_rest_of_the_name_kept() -> None:
    name = "Wolfeschlegelsteinhausenbergerdorff Hubert Blaine"
    block = text.fit(name, "bold", 110, 77, 29, 11, 3)
    assert block.size == 11 and len(block.lines) == 3
    assert block.lines[-1].width == text.shape("Hubert Blaine", "bold").width  # nothing cut off
    assert all(line.width * block.size <= 110 for line in block.lines)
