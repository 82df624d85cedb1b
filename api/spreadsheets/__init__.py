"""Spreadsheet writing, pure: formula-safe CSV and XLSX written a chunk of rows at a time."""
