"""Check-in at the entrance and in session rooms: an operation kind of the sync engine, every
attempt kept with its outcome, and what counts as attendance."""
