"""Outgoing mail: queued in the database and sent by the worker (api.mail.worker), or sent at
once for sign-in, where the code is wanted within seconds."""

from api.mail.queue import Outgoing, enqueue, enqueue_many, mail_counts
from api.mail.sender import build_message, send_mail

__all__ = ["Outgoing", "build_message", "enqueue", "enqueue_many", "mail_counts", "send_mail"]
