"""QR codes for badge URLs: the module matrix, and PNG and SVG forms of it."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.util import MODE_ALPHA_NUM, QRData

QUIET_ZONE = 4  # modules of white around the code, as the standard asks
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


@dataclass(frozen=True, slots=True)
class QrMatrix:
    """The dark (True) and light modules of one code, quiet zone not included."""

    size: int
    rows: tuple[tuple[bool, ...], ...]

    def row_strings(self) -> list[str]:
        """Rows as strings of 0 and 1, for the app to draw without a QR library."""
        return ["".join("1" if dark else "0" for dark in row) for row in self.rows]

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length)."""
        runs = []
        for y, row in enumerate(self.rows):
            x = 0
            while x < self.size:
                if row[x]:
                    start = x
                    while x < self.size and row[x]:
                        x += 1
                    runs.append((y, start, x - start))
                else:
                    x += 1
        return runs


@lru_cache(maxsize=64)
def _version_and_mask(length: int) -> tuple[int, int]:
    """The smallest version and the best mask for a URL of `length` alphanumeric characters.

    The mask search is most of the cost of a code, and badge URLs of one event all have the
    same length, so it runs once per length; any mask gives a valid code.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
    code.add_data(QRData("0" * length, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    return int(code.version), int(code.best_mask_pattern())


def encode(url: str) -> QrMatrix:
    """The QR of an upper-case badge URL, in alphanumeric mode."""
    version, mask = _version_and_mask(len(url))
    code = qrcode.QRCode(
        version=version, error_correction=ERROR_CORRECTION, border=0, mask_pattern=mask
    )
    code.add_data(QRData(url, mode=MODE_ALPHA_NUM))
    code.make(fit=False)
    # After make() every module is a bool.
    return QrMatrix(size=code.modules_count, rows=tuple(map(tuple, code.modules)))


def to_image(matrix: QrMatrix, scale: int) -> Image.Image:
    """A 1-bit image of the code with its quiet zone, `scale` pixels per module."""
    side = matrix.size + 2 * QUIET_ZONE
    margin = b"\xff" * QUIET_ZONE
    blank = b"\xff" * (side * QUIET_ZONE)
    body = b"".join(
        margin + bytes(0 if dark else 255 for dark in row) + margin for row in matrix.rows
    )
    # Threshold while tiny, then enlarge with NEAREST: no dithering, no blur.
    small = Image.frombytes("L", (side, side), blank + body + blank)
    small = small.convert("1", dither=Image.Dither.NONE)
    return small.resize((side * scale, side * scale), Image.Resampling.NEAREST)


def to_png(matrix: QrMatrix, scale: int = 10) -> bytes:
    """PNG bytes of the code with its quiet zone."""
    out = io.BytesIO()
    to_image(matrix, scale).save(out, format="PNG", compress_level=3)
    return out.getvalue()


def svg_path(matrix: QrMatrix, x: float = 0, y: float = 0, module: float = 1) -> str:
    """SVG path data drawing the dark modules, one rectangle per horizontal run."""
    return "".join(
        f"M{x + start * module:g} {y + row * module:g}"
        f"h{length * module:g}v{module:g}h{-length * module:g}z"
        for row, start, length in matrix.dark_runs()
    )
