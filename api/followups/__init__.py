"""Follow-ups after an event: lists, drafts, reminders and the e-mail digest."""
