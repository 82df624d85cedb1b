"""A PDF written page by page to a file, so ten thousand badges never sit in memory at once.

Only what badge sheets need: pages of vector drawing, and glyph outlines as reusable form
XObjects shared by every page (each glyph is defined once, however often it is drawn).
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

from api.badges.text import Face, PathOp


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def path_ops(ops: tuple[PathOp, ...]) -> str:
    """PDF path operators for an outline (same coordinates, y up)."""
    parts = []
    for op, values in ops:
        numbers = " ".join(_fmt(v) for v in values)
        parts.append({"M": f"{numbers} m", "L": f"{numbers} l", "C": f"{numbers} c", "Z": "h"}[op])
    return " ".join(parts)


class PdfWriter:
    """Writes objects as they come; the page tree, glyphs and cross-reference table at the end."""

    def __init__(self, out: BinaryIO, title: str = "") -> None:
        self._out = out
        self._offsets: list[int] = [0]  # object 0 is the free-list head
        self._position = 0
        self._page_ids: list[int] = []
        self._glyphs: dict[tuple[Face, int], tuple[str, int]] = {}
        self._title = title
        self._searchable = False
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        # Reserved up front so every page can point at them before they are written.
        self._pages_id = self._reserve()
        self._resources_id = self._reserve()

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _reserve(self) -> int:
        self._offsets.append(-1)
        return len(self._offsets) - 1

    def _object(self, body: bytes, object_id: int | None = None) -> int:
        if object_id is None:
            object_id = self._reserve()
        self._offsets[object_id] = self._position
        self._write(b"%d 0 obj\n" % object_id + body + b"\nendobj\n")
        return object_id

    def _stream(self, dictionary: str, data: bytes, object_id: int | None = None) -> int:
        packed = zlib.compress(data, 6)
        head = f"<< {dictionary} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n"
        return self._object(head.encode() + packed + b"\nendstream", object_id)

    def glyph(self, face: Face, glyph_id: int) -> str:
        """The resource name of a glyph's outline (drawn at 1 unit per font unit)."""
        key = (face, glyph_id)
        found = self._glyphs.get(key)
        if found is None:
            found = (f"G{len(self._glyphs)}", self._reserve())
            self._glyphs[key] = found
        return found[0]

    def searchable(self, text: str, x: float, y: float, size: float) -> str:
        """Operators giving outlined text its words back (search, copy, screen readers, pdftotext).

        Outlines carry no characters; an invisible space at (`x`, `y`) carries `text` as its
        /ActualText, which viewers and text extraction read in place of the glyph.
        """
        self._searchable = True
        words = text.encode("utf-16-be").hex().upper()
        return (
            f"/Span << /ActualText <FEFF{words}> >> BDC BT 3 Tr /F0 {_fmt(size)} Tf "
            f"{_fmt(x)} {_fmt(y)} Td ( ) Tj ET EMC"
        )

    def add_page(self, width: float, height: float, content: str) -> None:
        """One page of `width` × `height` points drawn by `content` (PDF operators)."""
        content_id = self._stream("", content.encode("ascii"))
        page = (
            f"<< /Type /Page /Parent {self._pages_id} 0 R /MediaBox [0 0 {_fmt(width)} "
            f"{_fmt(height)}] /Resources {self._resources_id} 0 R /Contents {content_id} 0 R >>"
        )
        self._page_ids.append(self._object(page.encode()))

    def close(self) -> None:
        """Write the glyphs, page tree, catalog and cross-reference table."""
        names = []
        for (face, glyph_id), (name, object_id) in self._glyphs.items():
            box = f"[{-face.upem} {-face.upem} {3 * face.upem} {2 * face.upem}]"
            outline = path_ops(face.outline(glyph_id))
            self._stream(
                f"/Type /XObject /Subtype /Form /BBox {box}",
                (outline + " f" if outline else "").encode("ascii"),
                object_id,
            )
            names.append(f"/{name} {object_id} 0 R")
        font = (
            " /Font << /F0 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>"
            if self._searchable
            else ""
        )
        self._object(
            f"<< /ProcSet [/PDF /Text] /XObject << {' '.join(names)} >>{font} >>".encode(),
            self._resources_id,
        )
        kids = " ".join(f"{page} 0 R" for page in self._page_ids)
        self._object(
            f"<< /Type /Pages /Kids [{kids}] /Count {len(self._page_ids)} >>".encode(),
            self._pages_id,
        )
        catalog = self._object(f"<< /Type /Catalog /Pages {self._pages_id} 0 R >>".encode())
        title = self._title.encode("utf-16-be").hex().upper()
        info = self._object(f"<< /Title <FEFF{title}> /Producer (Enlace) >>".encode())
        xref = self._position
        rows = [b"xref\n0 %d\n" % len(self._offsets), b"0000000000 65535 f \n"]
        rows += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:]]
        self._write(b"".join(rows))
        trailer = f"trailer\n<< /Size {len(self._offsets)} /Root {catalog} 0 R /Info {info} 0 R >>"
        self._write(f"{trailer}\nstartxref\n{xref}\n%%EOF\n".encode())
