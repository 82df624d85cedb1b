"""The offline directory: every card of the event, each readable only with its badge.

It holds a card for every attendee of the event with an active badge who
allows it (`offline_card`, on unless they turn it off): only what their badge scan shows anyway
(name and organization, plus the fields they chose to share). Each entry is found by
HMAC-SHA256(salt, badge token) truncated to 16 bytes and sealed with AES-256-GCM under
HMAC-SHA256(salt, "card|" + token); the salt is per event (derived from the server secret) and
given to the client. The phone computes both from the token it scanned (SubtleCrypto). So the
directory on a phone tells nothing about anyone until their badge is scanned: no names, no
tokens (140 random bits each), nothing to make badges or connections from. Revoked tokens are
left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.connections.schemas import DirectoryCard, DirectoryEntry, DirectoryOut
from api.connections.service import CARD_COLUMNS, card_of
from api.models import Attendee, Badge, Event

DIRECTORY_KEY_BYTES = 16
DIRECTORY_ALGORITHM = "HMAC-SHA256/AES-256-GCM"
NONCE_BYTES = 12


def directory_salt(secret_key: str, event_id: int) -> bytes:
    """The event's directory salt: stable, public, and different for every event."""
    message = f"enlace/directory/v1/{event_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def seal_card(salt: bytes, token: str, entry: DirectoryCard) -> DirectoryEntry:
    """The directory entry of one badge: found by its key, read only with the token."""
    key = hmac.new(salt, token.encode("ascii"), hashlib.sha256).digest()[:DIRECTORY_KEY_BYTES]
    sealing = hmac.new(salt, b"card|" + token.encode("ascii"), hashlib.sha256).digest()
    nonce = os.urandom(NONCE_BYTES)
    box = AESGCM(sealing).encrypt(nonce, msgspec.json.encode(entry), key)
    return DirectoryEntry(key=_b64url(key), nonce=_b64url(nonce), box=_b64url(box))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


async def directory(db: AsyncSession, event: Event, me: Attendee, secret_key: str) -> DirectoryOut:
    """The cards of the event's people who allow it, each sealed with their active badge token
    (see the module docstring)."""
    salt = directory_salt(secret_key, event.id)
    rows = await db.execute(
        select(Badge.token, *CARD_COLUMNS)
        .join(Attendee, Attendee.id == Badge.attendee_id)
        .where(
            Attendee.event_id == event.id,
            Badge.revoked_at.is_(None),
            Attendee.offline_card.is_(True),
        )
        .order_by(Attendee.id)
    )
    entries = [
        seal_card(salt, row.token, DirectoryCard(attendee=row.id, card=card_of(row)))
        for row in rows
    ]
    return DirectoryOut(
        event=event.slug,
        me=me.id,
        algorithm=DIRECTORY_ALGORITHM,
        salt=_b64url(salt),
        key_bytes=DIRECTORY_KEY_BYTES,
        entries=entries,
    )
