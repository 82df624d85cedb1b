"""Import reports."""

from __future__ import annotations

import msgspec

from api.imports.parse import AttendeeRecord, ColumnMapping, RowError, RowWarning

MAX_LISTED = 500  # problems listed in one report; the totals count them all


class ImportReport(msgspec.Struct):
    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[ColumnMapping]
    total_rows: int
    valid_rows: int
    invalid_rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    warnings: list[RowWarning]
    warnings_total: int
    preview: list[AttendeeRecord]
    dry_run: bool
    applied: bool
    # The CSV was not UTF-8: `encoding` was found by detection (check the accents in the preview).
    encoding_detected: bool = False
