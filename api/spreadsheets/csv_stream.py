"""CSV (RFC 4180) written a chunk of rows at a time: UTF-8 with a BOM, formula-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from api.spreadsheets.cells import Row, neutralize

# Excel opens a UTF-8 file as its legacy code page unless it starts with a byte order mark;
# with it, accents and every other script read as written.
BOM = "\ufeff"


class CsvStream:
    """Turns rows into CSV bytes, one chunk at a time, so no more than a chunk is ever held."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        # RFC 4180 with CRLF line ends. Every text is quoted, numbers are not: a spreadsheet set
        # to split on ";" or tabs (Spanish Excel does) then cannot cut "Ana;=cmd|..." into a
        # cell that starts a formula; a number stays a number.
        self._writer = csv.writer(self._buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
        self._buffer.write(BOM)

    def encode(self, rows: Iterable[Row]) -> bytes:
        """The CSV bytes of `rows` (the first call also carries the byte order mark)."""
        self._writer.writerows(
            [_cell(value) for value in row]  # numbers stay numbers; text is neutralized
            for row in rows
        )
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")


def _cell(value: str | int | float | None) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralize(value)
    return value


def write_csv(rows: Iterable[Row]) -> bytes:
    """A whole CSV file of `rows` at once (for small files and tests)."""
    return CsvStream().encode(rows)
