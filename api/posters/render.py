"""Room posters drawn from their content: one portrait page per room, written as PDF.

The same stack as badges (api.badges): text shaped by HarfBuzz with font fallback across
scripts and drawn as outlines, the QR as vector rectangles, and a text layer so the PDF can be
searched and read aloud.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO, Literal

from api.badges import qr
from api.badges.pdf import PdfWriter
from api.badges.render import A4, LETTER, MM
from api.badges.text import LINE_HEIGHT, TextBlock, fit, is_rtl
from api.posters.content import PosterContent, SessionLine

Paper = Literal["a4", "letter"]
PAPERS: dict[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}
MARGIN = 15 * MM  # inside what office printers leave unprinted on both papers
GREY = 0.35


@dataclass(frozen=True, slots=True)
class Text:
    """Text fitted into a box whose top-left corner is (x, top), in points from the page's
    top-left corner, y down; `source` is what the words say, for the text layer."""

    block: TextBlock
    source: str
    x: float
    top: float
    width: float
    grey: bool = False
    centred: bool = False

    @property
    def height(self) -> float:
        return len(self.block.lines) * self.block.size * LINE_HEIGHT

    def lines(self) -> Iterator[tuple[float, float, int]]:
        """Each line's left x and baseline y, with its index."""
        size = self.block.size
        right_to_left = is_rtl(self.source)
        for index, line in enumerate(self.block.lines):
            spare = self.width - line.width * size
            left = self.x + (spare / 2 if self.centred else spare if right_to_left else 0)
            yield left, self.top + size * (0.95 + LINE_HEIGHT * index), index


@dataclass(frozen=True, slots=True)
class Code:
    """The QR: its dark-module area at (x, y), `side` points wide (quiet zone around it)."""

    matrix: qr.QrMatrix
    x: float
    y: float
    side: float


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    x2: float
    y: float


Mark = Text | Code | Rule


class _Column:
    """Marks stacked down the page between the margins, from `y` on."""

    def __init__(self, width: float, height: float, y: float = MARGIN) -> None:
        self.left, self.width = MARGIN, width - 2 * MARGIN
        self.y, self.bottom = y, height - MARGIN
        self.marks: list[Mark] = []

    def text(
        self,
        words: str,
        weight: str,
        sizes: tuple[float, float],
        max_lines: int = 1,
        *,
        grey: bool = False,
        centred: bool = False,
        after: float = 0.0,
    ) -> None:
        largest, smallest = sizes
        height = largest * LINE_HEIGHT * max_lines
        block = fit(words, weight, self.width, height, largest, smallest, max_lines)
        mark = Text(block, words, self.left, self.y, self.width, grey, centred)
        self.marks.append(mark)
        self.y += mark.height + after

    def rule(self, after: float) -> None:
        self.marks.append(Rule(self.left, self.left + self.width, self.y))
        self.y += after

    def shifted(self, by: float) -> list[Mark]:
        """The marks moved `by` points down the page."""
        return [
            replace(mark, y=mark.y + by)
            if isinstance(mark, Rule)
            else replace(mark, top=mark.top + by)
            for mark in self.marks
            if not isinstance(mark, Code)
        ]


SESSION_SIZE = 14.0
ROW_GAP = 5.0
ROWS_BEFORE_THE_QR_SHRINKS = 5
QR_FLOOR = 0.28  # of the page's height (about 8 cm), however busy the day
SMALLEST_QR = 150.0  # points with its quiet zone (53 mm): still read from an arm's length


def layout_poster(poster: PosterContent, paper: Paper) -> list[Mark]:
    """Where everything goes on one poster, top to bottom; nothing leaves the margins."""
    width, height = PAPERS[paper]
    top = _Column(width, height)
    top.text(poster.event_name, "regular", (18, 10), 2, grey=True, centred=True, after=6)
    top.rule(after=14)
    top.text(poster.room, "bold", (72, 24), 3, centred=True, after=10)

    # What goes under the QR, measured first (its height depends only on the width).
    under = _Column(width, height, 0)
    for index, words in enumerate(poster.scan):
        under.text(words, "bold" if index == 0 else "regular", (20, 11), 2, centred=True)
    under.y += 2
    under.text("  ·  ".join(poster.no_camera), "regular", (9, 6), 2, grey=True, centred=True)
    under.text(poster.url, "regular", (9, 6), 1, grey=True, centred=True)
    under.y += 10
    under.rule(after=10)
    under.text("  ·  ".join(poster.day_heading), "bold", (15, 9), 2, after=6)

    # The QR as large as the page allows (four tenths of its height, 11-12 cm: a phone reads it
    # from a few metres) once the first sessions have their room; a busy day shrinks it down
    # to a floor, and what does not fit below it is summed up as "and N more".
    line = SESSION_SIZE * LINE_HEIGHT
    scratch = _Column(width, height, 0)
    first = [_session_row(scratch, s) for s in poster.sessions[:ROWS_BEFORE_THE_QR_SHRINKS]]
    more = line if len(poster.sessions) > len(first) else 0
    reserve = sum(row.height for row in first) + more if first else 2 * line
    free = top.bottom - top.y - under.y
    floor = min(height * QR_FLOOR, free - 2 * line - more)
    outer = max(SMALLEST_QR, min(top.width, height * 0.4, max(free - reserve, floor)))
    matrix = qr.encode(poster.url)
    module = outer / (matrix.size + 2 * qr.QUIET_ZONE)
    quiet = module * qr.QUIET_ZONE
    code = Code(matrix, (width - outer) / 2 + quiet, top.y + quiet, module * matrix.size)

    below = _Column(width, height, top.y + outer + 2 + under.y)
    below.marks = [*top.marks, code, *under.shifted(top.y + outer + 2)]
    _sessions(below, poster)
    return below.marks


def _sessions(column: _Column, poster: PosterContent) -> None:
    """That day's sessions, as many as fit; a last line says how many more there are."""
    line = SESSION_SIZE * LINE_HEIGHT
    if not poster.sessions:
        column.text("  ·  ".join(poster.no_sessions), "regular", (SESSION_SIZE, 9), 2, grey=True)
        return
    for shown, session in enumerate(poster.sessions):
        row = _session_row(column, session)
        rest = len(poster.sessions) - shown - 1
        # This row, and the "and N more" line should a later one not fit.
        if column.y + row.height + (line if rest else 0) > column.bottom:
            if column.y + line <= column.bottom:
                more = "  ·  ".join(text.format(count=rest + 1) for text in poster.more)
                column.text(more, "regular", (SESSION_SIZE, 8), 1, grey=True)
            return
        column.marks.extend(row.marks)
        column.y += row.height


@dataclass(frozen=True, slots=True)
class _Row:
    marks: tuple[Mark, ...]
    height: float


def _session_row(column: _Column, session: SessionLine) -> _Row:
    """A session's times and title, side by side at the column's current height."""
    times_width, gap = 78.0, 10.0
    times = f"{session.starts}–{session.ends}"
    size = SESSION_SIZE
    time_block = fit(times, "bold", times_width, size * LINE_HEIGHT, size * 0.85, 6)
    title_width = column.width - times_width - gap
    title = fit(session.title, "regular", title_width, size * LINE_HEIGHT * 2, size, 9, 2)
    title_mark = Text(title, session.title, column.left + times_width + gap, column.y, title_width)
    time_mark = Text(time_block, times, column.left, column.y + 1, times_width)
    return _Row((time_mark, title_mark), max(title_mark.height, size * LINE_HEIGHT) + ROW_GAP)


def _pdf_marks(writer: PdfWriter, marks: list[Mark], page_height: float) -> list[str]:
    ops: list[str] = []
    for mark in marks:
        if isinstance(mark, Code):
            module = mark.side / mark.matrix.size
            top = page_height - mark.y
            ops.append(
                "".join(
                    f"{mark.x + start * module:.2f} {top - (row + 1) * module:.2f} "
                    f"{length * module:.2f} {module:.2f} re "
                    for row, start, length in mark.matrix.dark_runs()
                )
                + "f"
            )
        elif isinstance(mark, Rule):
            y = page_height - mark.y
            ops.append(f"0.6 G 0.75 w {mark.x1:.2f} {y:.2f} m {mark.x2:.2f} {y:.2f} l S 0 G")
        else:
            size = mark.block.size
            ops.append(f"{GREY} g" if mark.grey else "0 g")
            for left, baseline, index in mark.lines():
                if index == 0:
                    ops.append(writer.searchable(mark.source, left, page_height - baseline, size))
                for glyph in mark.block.lines[index].glyphs:
                    scale = size / glyph.face.upem
                    name = writer.glyph(glyph.face, glyph.glyph_id)
                    gx = left + glyph.x * size
                    gy = page_height - baseline + glyph.y * size
                    ops.append(f"q {scale:.5f} 0 0 {scale:.5f} {gx:.2f} {gy:.2f} cm /{name} Do Q")
            ops.append("0 g")
    return ops


def write_posters(
    posters: Iterable[PosterContent], paper: Paper, out: BinaryIO, title: str = ""
) -> int:
    """Write one page per poster to `out` as a PDF; returns the number of pages."""
    width, height = PAPERS[paper]
    writer = PdfWriter(out, title)
    pages = 0
    for poster in posters:
        writer.add_page(
            width, height, "\n".join(_pdf_marks(writer, layout_poster(poster, paper), height))
        )
        pages += 1
    writer.close()
    return pages


def posters_pdf(posters: Iterable[PosterContent], paper: Paper, title: str = "") -> bytes:
    """The posters as PDF bytes (a few pages: one per room)."""
    out = io.BytesIO()
    write_posters(posters, paper, out, title)
    return out.getvalue()
