"""Exports for organizers: attendance lists and every check-in, as CSV and XLSX, streamed."""
