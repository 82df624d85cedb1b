"""Follow-ups after an event: status per person, reminders, drafted thank-yous, the list."""
