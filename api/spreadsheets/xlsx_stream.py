"""XLSX written row by row with constant memory (XlsxWriter), every text cell a string.

XlsxWriter's `constant_memory` mode flushes each row to a temporary file as soon as the next
one begins and writes strings inline (no shared-string table growing with the row count), so
memory stays flat however many rows there are. Text goes through `write_string` and the
workbook is told never to turn strings into formulas, numbers or links: a name such as
`=HYPERLINK(...)` is a plain string cell that no spreadsheet evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from api.spreadsheets.cells import Row

# Excel's limit for one cell; XlsxWriter would cut the text itself, with a warning.
MAX_CELL = 32767
# Excel's limits for a sheet's name.
MAX_SHEET_NAME = 31
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class XlsxSheet:
    """One worksheet being written: a bold, frozen header, then rows in order."""

    def __init__(self, book: XlsxBook, sheet: Worksheet, header: Sequence[str]) -> None:
        self._sheet = sheet
        self._row = 0
        for column, title in enumerate(header):
            sheet.write_string(0, column, title[:MAX_CELL], book.bold)
            # Wide enough for the header and typical values; people widen the rest themselves.
            sheet.set_column(column, column, max(12, min(40, len(title) + 4)))
        sheet.freeze_panes(1, 0)

    def write_rows(self, rows: Iterable[Row]) -> None:
        """Append `rows` under the ones already written."""
        sheet = self._sheet
        for row in rows:
            self._row += 1
            for column, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(self._row, column, value[:MAX_CELL])
                else:
                    sheet.write_number(self._row, column, value)

    @property
    def rows_written(self) -> int:
        return self._row


class XlsxBook:
    """A workbook written to `target` (a path or a binary file) when closed."""

    def __init__(self, target: str | IO[Any], tmpdir: str | None = None) -> None:
        self._book = Workbook(target, OPTIONS | ({"tmpdir": tmpdir} if tmpdir else {}))
        self.bold = self._book.add_format({"bold": True})

    def add_sheet(self, name: str, header: Sequence[str]) -> XlsxSheet:
        """A new worksheet named `name` (made valid for Excel) with `header` as its first row."""
        clean = " ".join(name.translate(SHEET_NAME_FORBIDDEN).split())[:MAX_SHEET_NAME]
        return XlsxSheet(self, self._book.add_worksheet(clean or None), header)

    def close(self) -> None:
        """Assemble the file (the rows already sit in temporary files)."""
        self._book.close()
