"""Badges drawn from data: one layout, written as PDF sheets, SVG or PNG."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import islice
from typing import BinaryIO

from PIL import Image, ImageChops, ImageDraw

from api.badges import qr
from api.badges.pdf import PdfWriter
from api.badges.text import LINE_HEIGHT, Face, Line, TextBlock, fit, is_rtl, shape
from api.badges.tokens import display_code

MM = 72 / 25.4
INCH = 72.0


@dataclass(frozen=True, slots=True)
class BadgeData:
    """What a badge shows. The QR carries only `url`; no personal data."""

    name: str
    organization: str
    role: str
    event_name: str
    token: str
    url: str


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """Badges on a sheet of paper: grid, position on the page, and whether to mark the cuts."""

    key: str
    paper: str
    page_width: float
    page_height: float
    badge_width: float
    badge_height: float
    columns: int
    rows: int
    left: float
    top: float
    crop_marks: bool

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner of the badge in `slot` (0 is top-left, row by row)."""
        column, row = slot % self.columns, slot // self.columns
        return self.left + column * self.badge_width, self.top + row * self.badge_height


def _centred(
    key: str,
    paper: str,
    size: tuple[float, float],
    badge: tuple[float, float],
    grid: tuple[int, int],
) -> SheetLayout:
    width, height = size
    columns, rows = grid
    return SheetLayout(
        key=key,
        paper=paper,
        page_width=width,
        page_height=height,
        badge_width=badge[0],
        badge_height=badge[1],
        columns=columns,
        rows=rows,
        left=(width - columns * badge[0]) / 2,
        top=(height - rows * badge[1]) / 2,
        crop_marks=True,
    )


A4 = (210 * MM, 297 * MM)
LETTER = (8.5 * INCH, 11 * INCH)
LAYOUTS = {
    # Plain paper, cut along the marks: eight 90 × 65 mm badges on A4, six 4 × 3 in on Letter.
    "a4": _centred("a4", "a4", A4, (90 * MM, 65 * MM), (2, 4)),
    "letter": _centred("letter", "letter", LETTER, (4 * INCH, 3 * INCH), (2, 3)),
    # Pre-cut name-badge stock: Avery 5392 / 74459 (4 × 3 in, 2 × 3 per Letter sheet,
    # 0.25 in side and 1 in top margins). The stock is already cut: no marks.
    "avery-5392": SheetLayout(
        key="avery-5392",
        paper="letter",
        page_width=LETTER[0],
        page_height=LETTER[1],
        badge_width=4 * INCH,
        badge_height=3 * INCH,
        columns=2,
        rows=3,
        left=0.25 * INCH,
        top=1 * INCH,
        crop_marks=False,
    ),
}
SINGLE_BADGE = (4 * INCH, 3 * INCH)


# Marks: what a badge is drawn with, in points from the badge's top-left corner, y down.
@dataclass(frozen=True, slots=True)
class TextMark:
    block: TextBlock
    x: float
    top: float
    width: float
    align_right: bool


@dataclass(frozen=True, slots=True)
class QrMark:
    matrix: qr.QrMatrix
    x: float
    y: float
    side: float  # of the dark-module area, quiet zone around it not included


@dataclass(frozen=True, slots=True)
class RuleMark:
    x1: float
    y1: float
    x2: float
    y2: float


Mark = TextMark | QrMark | RuleMark


EVENT_MIN_SIZE = 6.0  # points: the smallest the event's name gets before it is cut


def layout_badge(badge: BadgeData, width: float, height: float) -> list[Mark]:
    """Where everything goes on a `width` × `height` badge."""
    pad = min(width, height) * 0.07
    matrix = qr.encode(badge.url)
    modules = matrix.size + 2 * qr.QUIET_ZONE
    qr_outer = min(height - 2 * pad - 10, width * 0.42)
    module = qr_outer / modules
    qr_side = module * matrix.size
    qr_x = width - pad - qr_outer + module * qr.QUIET_ZONE
    qr_y = pad + module * qr.QUIET_ZONE
    marks: list[Mark] = [QrMark(matrix, qr_x, qr_y, qr_side)]
    # The code under the QR on two lines, at one size: typeable when a camera fails.
    groups = display_code(badge.token).split("-")
    half = (len(groups) + 1) // 2
    code_lines = (
        shape("-".join(groups[:half]), "regular"),
        shape("-".join(groups[half:]), "regular"),
    )
    code = TextBlock(code_lines, min(8.0, qr_outer / max(line.width for line in code_lines)))
    marks.append(TextMark(code, width - pad - qr_outer, pad + qr_outer + 1, qr_outer, False))

    text_width = width - 2 * pad - qr_outer - pad * 0.5
    y = pad
    # The event's name fitted like a person's: smaller, then on two lines, cut only past that.
    event = fit(badge.event_name, "regular", text_width, 2 * 8 * LINE_HEIGHT, 10, EVENT_MIN_SIZE, 2)
    marks.append(TextMark(event, pad, y, text_width, is_rtl(badge.event_name)))
    y += _height(event) + pad * 0.4
    marks.append(RuleMark(pad, y, pad + text_width, y))
    y += pad * 0.6
    room = height - pad - y
    name = fit(badge.name, "bold", text_width, room * 0.58, height * 0.16, height * 0.06, 3)
    marks.append(TextMark(name, pad, y, text_width, is_rtl(badge.name)))
    y += _height(name) + pad * 0.3
    for value, share, largest in ((badge.organization, 0.6, 0.075), (badge.role, 1.0, 0.06)):
        if not value.strip():
            continue  # a missing organization or role leaves no gap
        space = (height - pad - y) * share
        block = fit(value, "regular", text_width, space, height * largest, height * 0.04, 2)
        marks.append(TextMark(block, pad, y, text_width, is_rtl(value)))
        y += _height(block) + pad * 0.2
    return marks


def _height(block: TextBlock) -> float:
    return len(block.lines) * block.size * 1.2


def _line_positions(mark: TextMark) -> Iterator[tuple[Line, float, float]]:
    """Each line with its left x and baseline y, in badge coordinates."""
    size = mark.block.size
    for index, line in enumerate(mark.block.lines):
        left = mark.x + (mark.width - line.width * size if mark.align_right else 0)
        baseline = mark.top + size * (0.95 + 1.2 * index)
        yield line, left, baseline


# PDF
def _pdf_badge(
    writer: PdfWriter, marks: list[Mark], x0: float, y0: float, page_height: float
) -> list[str]:
    ops: list[str] = []
    for mark in marks:
        if isinstance(mark, QrMark):
            module = mark.side / mark.matrix.size
            left, top = x0 + mark.x, page_height - (y0 + mark.y)
            ops.append(
                "".join(
                    f"{left + start * module:.2f} {top - (row + 1) * module:.2f} "
                    f"{length * module:.2f} {module:.2f} re "
                    for row, start, length in mark.matrix.dark_runs()
                )
                + "f"
            )
        elif isinstance(mark, RuleMark):
            ops.append(
                f"0.6 G 0.5 w {x0 + mark.x1:.2f} {page_height - y0 - mark.y1:.2f} m "
                f"{x0 + mark.x2:.2f} {page_height - y0 - mark.y2:.2f} l S 0 G"
            )
        else:
            for line, left, baseline in _line_positions(mark):
                for glyph in line.glyphs:
                    scale = mark.block.size / glyph.face.upem
                    name = writer.glyph(glyph.face, glyph.glyph_id)
                    gx = x0 + left + glyph.x * mark.block.size
                    gy = page_height - (y0 + baseline) + glyph.y * mark.block.size
                    ops.append(f"q {scale:.5f} 0 0 {scale:.5f} {gx:.2f} {gy:.2f} cm /{name} Do Q")
    return ops


def _crop_marks(layout: SheetLayout) -> str:
    """Short lines in the margins, in line with every cut, never over a badge."""
    ops = ["0 G 0.3 w"]
    gap, length = 3, 12
    h = layout.page_height
    xs = [layout.left + c * layout.badge_width for c in range(layout.columns + 1)]
    ys = [layout.top + r * layout.badge_height for r in range(layout.rows + 1)]
    for x in xs:
        ops.append(f"{x:.2f} {h - ys[0] + gap:.2f} m {x:.2f} {h - ys[0] + gap + length:.2f} l S")
        ops.append(f"{x:.2f} {h - ys[-1] - gap:.2f} m {x:.2f} {h - ys[-1] - gap - length:.2f} l S")
    for y in ys:
        ops.append(f"{xs[0] - gap:.2f} {h - y:.2f} m {xs[0] - gap - length:.2f} {h - y:.2f} l S")
        ops.append(f"{xs[-1] + gap:.2f} {h - y:.2f} m {xs[-1] + gap + length:.2f} {h - y:.2f} l S")
    return " ".join(ops)


def write_badge_sheets(
    badges: Iterable[BadgeData],
    layout: SheetLayout,
    out: BinaryIO,
    title: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `badges` as a PDF of sheets to `out`, page by page; returns the number of badges."""
    writer = PdfWriter(out, title)
    done = 0
    source = iter(badges)
    while page := list(islice(source, layout.per_page)):
        ops = [_crop_marks(layout)] if layout.crop_marks else []
        for slot, badge in enumerate(page):
            x0, y0 = layout.origin(slot)
            marks = layout_badge(badge, layout.badge_width, layout.badge_height)
            ops.extend(_pdf_badge(writer, marks, x0, y0, layout.page_height))
        writer.add_page(layout.page_width, layout.page_height, "\n".join(ops))
        done += len(page)
        if progress:
            progress(done)
    writer.close()
    return done


# SVG
def _svg_marks(
    marks: list[Mark], x0: float, y0: float, glyph_ids: dict[tuple[Face, int], str]
) -> list[str]:
    parts = []
    for mark in marks:
        if isinstance(mark, QrMark):
            module = mark.side / mark.matrix.size
            d = qr.svg_path(mark.matrix, x0 + mark.x, y0 + mark.y, module)
            parts.append(f'<path d="{d}" fill="#000" shape-rendering="crispEdges"/>')
        elif isinstance(mark, RuleMark):
            parts.append(
                f'<line x1="{x0 + mark.x1:.2f}" y1="{y0 + mark.y1:.2f}" x2="{x0 + mark.x2:.2f}" '
                f'y2="{y0 + mark.y2:.2f}" stroke="#999" stroke-width="0.5"/>'
            )
        else:
            for line, left, baseline in _line_positions(mark):
                for glyph in line.glyphs:
                    key = (glyph.face, glyph.glyph_id)
                    ref = glyph_ids.setdefault(key, f"g{len(glyph_ids)}")
                    scale = mark.block.size / glyph.face.upem
                    gx = x0 + left + glyph.x * mark.block.size
                    gy = y0 + baseline - glyph.y * mark.block.size
                    parts.append(
                        f'<use href="#{ref}" transform="translate({gx:.2f} {gy:.2f}) '
                        f'scale({scale:.5f} {-scale:.5f})"/>'
                    )
    return parts


def _xml_text(text: str) -> str:
    """Text safe inside an XML attribute or element: escaped, without characters XML forbids."""
    return escape("".join(char for char in text if _xml_allowed(ord(char))))


def _xml_allowed(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code > 0xFFFF
    )


def _svg_document(
    width: float, height: float, body: list[str], glyph_ids: dict[tuple[Face, int], str], label: str
) -> str:
    defs = [
        f'<path id="{ref}" d="{_svg_outline(face, glyph_id)}"/>'
        for (face, glyph_id), ref in glyph_ids.items()
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.2f}pt" height="{height:.2f}pt" '
        f'viewBox="0 0 {width:.2f} {height:.2f}" role="img" aria-label="{_xml_text(label)}">'
        f"<title>{_xml_text(label)}</title><defs>{''.join(defs)}</defs>"
        f'<rect width="100%" height="100%" fill="#fff"/>{"".join(body)}</svg>'
    )


@lru_cache(maxsize=20_000)
def _svg_outline(face: Face, glyph_id: int) -> str:
    return " ".join(
        op + " ".join(f"{v:g}" for v in values) for op, values in face.outline(glyph_id)
    )


def badge_svg(badge: BadgeData, size: tuple[float, float] = SINGLE_BADGE) -> str:
    """One badge as a standalone SVG document (text as outlines: no fonts needed to view it)."""
    glyph_ids: dict[tuple[Face, int], str] = {}
    body = _svg_marks(layout_badge(badge, *size), 0, 0, glyph_ids)
    return _svg_document(*size, body, glyph_ids, badge.name)


def sheet_svg(badges: list[BadgeData], layout: SheetLayout, label: str) -> str:
    """The first sheet of a print run as SVG, for the preview before printing."""
    glyph_ids: dict[tuple[Face, int], str] = {}
    body = []
    for slot, badge in enumerate(badges[: layout.per_page]):
        x0, y0 = layout.origin(slot)
        body.append(
            f'<rect x="{x0:.2f}" y="{y0:.2f}" width="{layout.badge_width:.2f}" '
            f'height="{layout.badge_height:.2f}" fill="none" stroke="#ccc" stroke-dasharray="4 3"/>'
        )
        body.extend(
            _svg_marks(
                layout_badge(badge, layout.badge_width, layout.badge_height), x0, y0, glyph_ids
            )
        )
    return _svg_document(layout.page_width, layout.page_height, body, glyph_ids, label)


# PNG
def badge_png(badge: BadgeData, dpi: int = 200, size: tuple[float, float] = SINGLE_BADGE) -> bytes:
    """One badge as a PNG at `dpi` (text drawn from the same outlines as the PDF and SVG)."""
    scale = dpi / 72
    width, height = round(size[0] * scale), round(size[1] * scale)
    # Drawn 2× larger, then reduced: smooth edges on the text without a vector renderer.
    over = 2
    image = Image.new("L", (width * over, height * over), 255)
    draw = ImageDraw.Draw(image)
    s = scale * over
    for mark in layout_badge(badge, *size):
        if isinstance(mark, QrMark):
            continue  # pasted below, module-exact
        if isinstance(mark, RuleMark):
            draw.line(
                [(mark.x1 * s, mark.y1 * s), (mark.x2 * s, mark.y2 * s)],
                fill=153,
                width=max(1, round(s * 0.5)),
            )
            continue
        for line, left, baseline in _line_positions(mark):
            for glyph in line.glyphs:
                _fill_outline(
                    image,
                    glyph.face,
                    glyph.glyph_id,
                    (left + glyph.x * mark.block.size) * s,
                    (baseline - glyph.y * mark.block.size) * s,
                    mark.block.size * s / glyph.face.upem,
                )
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    for mark in layout_badge(badge, *size):
        if isinstance(mark, QrMark):
            pixels = max(1, round(mark.side * scale / mark.matrix.size))
            code = qr.to_image(mark.matrix, pixels)
            quiet = qr.QUIET_ZONE * pixels
            image.paste(
                code.convert("L"), (round(mark.x * scale) - quiet, round(mark.y * scale) - quiet)
            )
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _fill_outline(
    image: Image.Image, face: Face, glyph_id: int, x: float, y: float, scale: float
) -> None:
    """Paint a glyph in black; contours are combined even-odd, so counters stay open."""
    polygons = [
        [(x + px * scale, y - py * scale) for px, py in contour]
        for contour in _flattened(face, glyph_id)
        if len(contour) >= 3
    ]
    if not polygons:
        return
    xs = [px for polygon in polygons for px, _ in polygon]
    ys = [py for polygon in polygons for _, py in polygon]
    left, top = max(0, int(min(xs))), max(0, int(min(ys)))
    right, bottom = min(image.width, int(max(xs)) + 2), min(image.height, int(max(ys)) + 2)
    if right <= left or bottom <= top:
        return
    mask = Image.new("1", (right - left, bottom - top), 0)
    for polygon in polygons:
        contour = Image.new("1", mask.size, 0)
        ImageDraw.Draw(contour).polygon([(px - left, py - top) for px, py in polygon], fill=1)
        mask = ImageChops.logical_xor(mask, contour)
    image.paste(0, (left, top, right, bottom), mask)


@lru_cache(maxsize=20_000)
def _flattened(face: Face, glyph_id: int) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outline as polygons: cubic curves cut into short straight segments."""
    contours: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    pen = (0.0, 0.0)
    for op, v in face.outline(glyph_id):
        if op == "M":
            if current:
                contours.append(current)
            current = [(v[0], v[1])]
            pen = (v[0], v[1])
        elif op == "L":
            current.append((v[0], v[1]))
            pen = (v[0], v[1])
        elif op == "C":
            x0, y0 = pen
            for i in range(1, 9):
                t = i / 8
                a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                current.append(
                    (
                        a * x0 + b * v[0] + c * v[2] + d * v[4],
                        a * y0 + b * v[1] + c * v[3] + d * v[5],
                    )
                )
            pen = (v[4], v[5])
        elif op == "Z" and current:
            contours.append(current)
            current = []
    if current:
        contours.append(current)
    return tuple(tuple(c) for c in contours)
