"""What a cell may hold, and how text is kept from running as a formula."""

from __future__ import annotations

from collections.abc import Sequence

# Text or a real number; None is an empty cell. Booleans are not cells: a yes/no is written in
# the reader's language by the caller.
Cell = str | int | float | None
Row = Sequence[Cell]

# Excel, LibreOffice and Google Sheets start a formula (or a DDE call) at these; tab and carriage
# return are stripped by some importers, uncovering whatever follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """Text that no spreadsheet reads as a formula: a leading apostrophe where it could be one.

    The apostrophe is OWASP's advice for CSV: spreadsheets then show the text as typed (Excel
    hides the apostrophe once the cell is edited). Numbers are never passed here, so a count
    stays a number; a phone number such as "+34 600..." is text and is neutralized.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text
