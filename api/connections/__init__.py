"""Connections between attendees, and the offline outbox that records them exactly once."""
