"""Text for badges: font fallback across scripts, shaping with HarfBuzz, fitting and outlines.

Names are drawn as glyph outlines (paths, from HarfBuzz), not as embedded fonts: the PDF and SVG
badges then look the same everywhere, need no font on the printer or viewer, and any font format
works (the CJK fonts are CFF-flavoured OpenType collections, which PDF libraries often refuse).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import uharfbuzz as hb

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

# Fallback order per weight: the first font that has a character draws it.
# (file name, family to pick inside a collection)
FONT_FILES: dict[str, list[tuple[str, str | None]]] = {
    "bold": [
        ("NotoSans-Bold.ttf", None),
        ("NotoSansArabic-Bold.ttf", None),
        ("NotoSansHebrew-Bold.ttf", None),
        ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
        ("DejaVuSans-Bold.ttf", None),
    ],
    "regular": [
        ("NotoSans-Regular.ttf", None),
        ("NotoSansArabic-Regular.ttf", None),
        ("NotoSansHebrew-Regular.ttf", None),
        ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
        ("DejaVuSans.ttf", None),
    ],
}
ELLIPSIS = "…"
SCRIPT_SAMPLES = {
    "Latin": "Ñandú Łódź",
    "Greek": "Ωμέγα",
    "Cyrillic": "Жанна",
    "Arabic": "محمد",
    "Hebrew": "שלום",
    "Chinese": "王小明",
    "Japanese": "かな",
    "Korean": "한국",
}


class FontsMissing(RuntimeError):
    """No usable font was found for badges."""


@dataclass(eq=False)
class Face:
    """One font (a file, or one face of a collection), opened lazily."""

    path: Path
    index: int

    @cached_property
    def _hb_face(self) -> hb.Face:
        return hb.Face(hb.Blob.from_file_path(str(self.path)), self.index)

    @cached_property
    def hb_font(self) -> hb.Font:
        return hb.Font(self._hb_face)

    @cached_property
    def upem(self) -> int:
        return int(self._hb_face.upem)

    def has(self, char: str) -> bool:
        return self.hb_font.get_nominal_glyph(ord(char)) is not None

    def outline(self, glyph_id: int) -> tuple[PathOp, ...]:
        """The glyph's outline in font units (y up), curves as cubic Béziers."""
        return _outline(self, glyph_id)


PathOp = tuple[str, tuple[float, ...]]


class _OutlinePen:
    """Receives HarfBuzz's drawing calls; quadratic curves become cubic ones."""

    def __init__(self) -> None:
        self.ops: list[PathOp] = []
        self._at = (0.0, 0.0)

    def moveTo(self, point: tuple[float, float]) -> None:
        self.ops.append(("M", point))
        self._at = point

    def lineTo(self, point: tuple[float, float]) -> None:
        self.ops.append(("L", point))
        self._at = point

    def curveTo(
        self, c1: tuple[float, float], c2: tuple[float, float], end: tuple[float, float]
    ) -> None:
        self.ops.append(("C", (*c1, *c2, *end)))
        self._at = end

    def qCurveTo(self, control: tuple[float, float], end: tuple[float, float]) -> None:
        (x0, y0), (qx, qy), (x1, y1) = self._at, control, end
        self.curveTo(
            (x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0)),
            (x1 + 2 / 3 * (qx - x1), y1 + 2 / 3 * (qy - y1)),
            end,
        )

    def closePath(self) -> None:
        self.ops.append(("Z", ()))


@lru_cache(maxsize=20_000)
def _outline(face: Face, glyph_id: int) -> tuple[PathOp, ...]:
    pen = _OutlinePen()
    face.hb_font.draw_glyph_with_pen(glyph_id, pen)
    return tuple(pen.ops)


def _find(name: str, dirs: Iterable[Path]) -> Path | None:
    for folder in dirs:
        if folder.is_dir():
            found = next(folder.rglob(name), None)
            if found:
                return found
    return None


def _collection_index(path: Path, family: str | None) -> int:
    if family is None or path.suffix.lower() != ".ttc":
        return 0
    blob = hb.Blob.from_file_path(str(path))
    for index in range(hb.Face(blob, 0).count):
        if hb.Face(blob, index).get_name(hb.OTNameIdPredefined.FONT_FAMILY) == family:
            return index
    return 0


@lru_cache(maxsize=4)
def fonts(weight: str, dirs: tuple[Path, ...] = FONT_DIRS) -> tuple[Face, ...]:
    """The fallback chain for `weight` ("bold" or "regular") from the fonts installed here."""
    chain = []
    for name, family in FONT_FILES[weight]:
        path = _find(name, dirs)
        if path:
            chain.append(Face(path, _collection_index(path, family)))
    if not chain:
        raise FontsMissing(
            "No badge fonts found. Install Noto Sans (Debian: apt-get install fonts-noto-core "
            "fonts-noto-cjk) or DejaVu Sans (fonts-dejavu-core)."
        )
    return tuple(chain)


def coverage() -> dict[str, bool]:
    """Which scripts the installed fonts draw (for the README's claim and the set-up check)."""
    chain = fonts("regular")
    return {
        script: all(any(face.has(char) for face in chain) for char in sample)
        for script, sample in SCRIPT_SAMPLES.items()
    }


@dataclass(frozen=True, slots=True)
class Glyph:
    """One positioned glyph; positions are in em (multiply by the font size in points)."""

    face: Face
    glyph_id: int
    x: float
    y: float


@dataclass(slots=True)
class Line:
    """A shaped line: glyphs in visual order, left to right, and its width in em."""

    glyphs: list[Glyph] = field(default_factory=list)
    width: float = 0.0


def _face_for(char: str, chain: tuple[Face, ...], current: Face | None) -> Face | None:
    # Spaces, marks and punctuation stay in the current run when that font has them.
    if current is not None and current.has(char):
        category = unicodedata.category(char)
        if category[0] in "ZPM" or category == "Cf":
            return current
    return next((face for face in chain if face.has(char)), None)


def _runs(text: str, chain: tuple[Face, ...]) -> list[tuple[Face, str]]:
    runs: list[tuple[Face, str]] = []
    current: Face | None = None
    for char in text:
        face = _face_for(char, chain, current)
        if face is None:
            continue  # no installed font draws it (e.g. colour emoji): leave it out, never a box
        if runs and face is runs[-1][0]:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, char))
        current = face
    return runs


def is_rtl(text: str) -> bool:
    """Whether `text` reads right to left (its first strong character does)."""
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


@lru_cache(maxsize=4096)
def shape(text: str, weight: str) -> Line:
    """`text` shaped on one line at a size of 1 (widths and positions in em)."""
    line = Line()
    runs = _runs(text, fonts(weight))
    if is_rtl(text):
        runs.reverse()  # runs in visual order for a right-to-left line
    x = 0.0
    for face, chunk in runs:
        buffer = hb.Buffer()
        buffer.add_str(chunk)
        buffer.guess_segment_properties()
        hb.shape(face.hb_font, buffer, {"kern": True, "liga": True})
        scale = 1.0 / face.upem
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            line.glyphs.append(
                Glyph(face, info.codepoint, x + pos.x_offset * scale, pos.y_offset * scale)
            )
            x += pos.x_advance * scale
    line.width = x
    return line


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Text fitted into a box: its lines and the font size (points) they are drawn at."""

    lines: tuple[Line, ...]
    size: float


def _break_points(text: str) -> list[int]:
    """Where a line may break: after a space, hyphen or slash, and between CJK characters."""
    points = []
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if (before in " -/" and after != " ") or _is_cjk(before) or _is_cjk(after):
            points.append(i)
    return points


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _split(text: str, lines: int) -> list[list[str]]:
    """Ways to cut `text` into `lines` lines at its break points (balanced candidates)."""
    points = _break_points(text)
    if lines == 2:
        return [[text[:p].strip(), text[p:].strip()] for p in points]
    options = []
    for i, first in enumerate(points):
        for second in points[i + 1 :]:
            options.append(
                [text[:first].strip(), text[first:second].strip(), text[second:].strip()]
            )
    return options


LINE_HEIGHT = 1.2  # line pitch, in em
WRAP_GAIN = 1.15  # another line must make the text this much larger to be worth it


def fit(
    text: str,
    weight: str,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    max_lines: int = 1,
) -> TextBlock:
    """`text` at the largest size up to `max_size` that fits a `width` × `height` box.

    Long text shrinks, then wraps at spaces (anywhere in CJK); what still does not fit at
    `min_size` is cut with an ellipsis. The result never exceeds `width`.
    """
    text = " ".join(text.split())
    if not text:
        return TextBlock((), max_size)
    one = shape(text, weight)
    best = (
        min(max_size, height / LINE_HEIGHT, width / one.width) if one.width else max_size,
        [one],
    )
    for count in range(2, max_lines + 1):
        tallest = height / (count * LINE_HEIGHT)
        if tallest < min_size or tallest < best[0] * WRAP_GAIN:
            break
        # The largest size, and among equal sizes the most even lines.
        wrapped: tuple[float, float, list[Line]] | None = None
        for parts in _split(text, count)[:400]:
            shaped = [shape(part, weight) for part in parts]
            widest = max(line.width for line in shaped)
            size = min(max_size, tallest, width / widest)
            if wrapped is None or (size, -widest) > (wrapped[0], -wrapped[1]):
                wrapped = (size, widest, shaped)
        if wrapped and wrapped[0] >= best[0] * WRAP_GAIN:
            best = (wrapped[0], wrapped[2])
    if best[0] >= min_size:
        return TextBlock(tuple(best[1]), best[0])
    lines_room = max(1, min(max_lines, int(height / (min_size * LINE_HEIGHT))))
    return TextBlock(tuple(_wrap_and_cut(text, weight, width / min_size, lines_room)), min_size)


def _wrap_and_cut(text: str, weight: str, width_em: float, max_lines: int) -> list[Line]:
    """Fill lines greedily at the smallest size; the last one ends with an ellipsis."""
    lines: list[Line] = []
    rest = text
    while len(lines) < max_lines - 1:
        if shape(rest, weight).width <= width_em:
            break
        fits = [p for p in _break_points(rest) if shape(rest[:p].strip(), weight).width <= width_em]
        # A word wider than the line is split inside, rather than losing the words after it.
        cut = fits[-1] if fits else _longest_start(rest, weight, width_em)
        if cut == 0:
            break
        lines.append(shape(rest[:cut].strip(), weight))
        rest = rest[cut:].strip()
    last = shape(rest, weight)
    lines.append(last if last.width <= width_em else _truncated(rest, weight, width_em))
    return lines


def _longest_start(text: str, weight: str, width_em: float) -> int:
    """How many characters of `text` fit in `width_em`."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if shape(text[:middle], weight).width <= width_em:
            low = middle
        else:
            high = middle - 1
    return low


def _truncated(text: str, weight: str, width_em: float) -> Line:
    """The longest start of `text`, plus an ellipsis, that fits `width_em`."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if shape(text[:middle].rstrip() + ELLIPSIS, weight).width <= width_em:
            low = middle
        else:
            high = middle - 1
    return shape(text[:low].rstrip() + ELLIPSIS, weight)
