"""Attendee import: read ticketing exports (CSV/XLSX) and apply them to an event."""
