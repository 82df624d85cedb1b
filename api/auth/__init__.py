"""Passwordless sign-in: one-time links and codes by e-mail, cookie sessions."""
