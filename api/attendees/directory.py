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

Cards are sealed once and kept (`SealedEntry`): whoever changes a card or a badge calls
`refresh_directory` in the same transaction, which seals again only the cards that differ and
raises the event's directory version. Removed entries stay as tombstones, so a phone that holds
version V asks for what changed since V and learns which keys to drop. Sealing 10,000 cards costs
~0.5 s of CPU: it runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.card import CARD_COLUMNS, card_of
from api.attendees.schemas import DirectoryCard, DirectoryEntry, DirectoryOut
from api.models import Attendee, Badge, Directory, Event, SealedEntry

DIRECTORY_KEY_BYTES = 16
DIRECTORY_ALGORITHM = "HMAC-SHA256/AES-256-GCM"
NONCE_BYTES = 12
# pg_advisory_xact_lock(space, event id): one event's directory is written by one at a time.
DIRECTORY_LOCK_SPACE = 0x44495243  # "DIRC"
CHUNK = 1000
# Tombstones kept per event (22-character keys in a delta); a phone further behind gets the
# whole directory.
TOMBSTONES_KEPT = 5000


def directory_salt(secret_key: str, event_id: int) -> bytes:
    """The event's directory salt: stable, public, and different for every event."""
    message = f"enlace/directory/v1/{event_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def directory_key(salt: bytes, token: str) -> str:
    """Where a badge's entry is found: base64url(HMAC-SHA256(salt, token)[:16])."""
    key = hmac.new(salt, token.encode("ascii"), hashlib.sha256).digest()[:DIRECTORY_KEY_BYTES]
    return _b64url(key)


def seal_card(salt: bytes, token: str, entry: DirectoryCard) -> DirectoryEntry:
    """The directory entry of one badge: found by its key, read only with the token."""
    key = hmac.new(salt, token.encode("ascii"), hashlib.sha256).digest()[:DIRECTORY_KEY_BYTES]
    sealing = hmac.new(salt, b"card|" + token.encode("ascii"), hashlib.sha256).digest()
    nonce = os.urandom(NONCE_BYTES)
    box = AESGCM(sealing).encrypt(nonce, msgspec.json.encode(entry), key)
    return DirectoryEntry(key=_b64url(key), nonce=_b64url(nonce), box=_b64url(box))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cards_to_seal(
    salt: bytes, rows: Sequence[Any], stored: dict[str, tuple[str, bool]]
) -> tuple[list[dict[str, Any]], set[str]]:
    """The entries to (re)write, sealed, and every key that should be live (pure; CPU bound)."""
    changed: list[dict[str, Any]] = []
    live: set[str] = set()
    for row in rows:
        card = DirectoryCard(attendee=row.id, card=card_of(row))
        digest = hashlib.sha256(
            row.token.encode("ascii") + b"\0" + msgspec.json.encode(card)
        ).hexdigest()
        key = directory_key(salt, row.token)
        live.add(key)
        if stored.get(key) == (digest, False):
            continue
        sealed = seal_card(salt, row.token, card)
        changed.append(
            {
                "key": sealed.key,
                "attendee_id": row.id,
                "digest": digest,
                "nonce": sealed.nonce,
                "box": sealed.box,
            }
        )
    return changed, live


async def refresh_directory(
    db: AsyncSession, event_id: int, attendee_ids: Collection[int] | None = None
) -> int | None:
    """Bring the event's sealed cards up to date for these attendees (all when None): seal
    again only the cards that differ, tombstone the ones that went away, raise the version when
    anything changed. Entries of deleted attendees are always tombstoned. Returns the version,
    or None when the directory was never built (its first request builds it whole)."""
    await _lock_directory(db, event_id)
    found = (
        await db.execute(
            select(Directory.version, Directory.horizon, Directory.salt)
            .where(Directory.event_id == event_id)
            .with_for_update()
        )
    ).first()
    if found is None:
        return None
    if attendee_ids is not None and len(attendee_ids) > CHUNK:
        attendee_ids = None
    wanted = (
        select(Badge.token, *CARD_COLUMNS)
        .join(Attendee, Attendee.id == Badge.attendee_id)
        .where(
            Attendee.event_id == event_id,
            Badge.revoked_at.is_(None),
            Attendee.offline_card.is_(True),
        )
    )
    kept = select(SealedEntry.key, SealedEntry.digest, SealedEntry.removed).where(
        SealedEntry.event_id == event_id
    )
    if attendee_ids is not None:
        ids = list(attendee_ids)
        wanted = wanted.where(Attendee.id.in_(ids))
        kept = kept.where(
            or_(
                SealedEntry.attendee_id.in_(ids),
                and_(SealedEntry.attendee_id.is_(None), SealedEntry.removed.is_(False)),
            )
        )
    rows = (await db.execute(wanted)).all()
    stored = {row.key: (row.digest, row.removed) for row in await db.execute(kept)}
    salt = _unb64url(found.salt)
    changed, live = await anyio.to_thread.run_sync(_cards_to_seal, salt, rows, stored)
    gone = [key for key, (_, removed) in stored.items() if not removed and key not in live]
    if not changed and not gone:
        return int(found.version)
    version = found.version + 1
    for start in range(0, len(changed), CHUNK):
        batch = [
            {"event_id": event_id, "version": version, "removed": False} | entry
            for entry in changed[start : start + CHUNK]
        ]
        await db.execute(_upsert_entries(db), batch)
    for start in range(0, len(gone), CHUNK):
        await db.execute(
            update(SealedEntry)
            .where(
                SealedEntry.event_id == event_id, SealedEntry.key.in_(gone[start : start + CHUNK])
            )
            .values(removed=True, nonce=None, box=None, version=version)
        )
    horizon = await _prune_tombstones(db, event_id, found.horizon) if gone else found.horizon
    await db.execute(
        update(Directory)
        .where(Directory.event_id == event_id)
        .values(version=version, horizon=horizon)
    )
    return int(version)


def _upsert_entries(db: AsyncSession) -> Any:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SealedEntry)
    return statement.on_conflict_do_update(
        index_elements=["event_id", "key"],
        set_={
            name: statement.excluded[name]
            for name in ("attendee_id", "digest", "nonce", "box", "version", "removed")
        },
    )


async def _lock_directory(db: AsyncSession, event_id: int) -> None:
    """Order the builds and refreshes of one event's directory (PostgreSQL; SQLite writers are
    serialized already). A row lock alone is not enough: while a build's new row is not yet
    committed, a refresh would not see it and would skip a card that just changed."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(select(func.pg_advisory_xact_lock(DIRECTORY_LOCK_SPACE, event_id)))


async def _prune_tombstones(db: AsyncSession, event_id: int, horizon: int) -> int:
    """Drop the oldest tombstones beyond what is kept; answers the new horizon (deltas from an
    older version would miss a removal, so those phones get the whole directory)."""
    tombstones = and_(SealedEntry.event_id == event_id, SealedEntry.removed.is_(True))
    cutoff = await db.scalar(
        select(SealedEntry.version)
        .where(tombstones)
        .order_by(SealedEntry.version.desc())
        .offset(TOMBSTONES_KEPT)
        .limit(1)
    )
    if cutoff is None:
        return horizon
    await db.execute(delete(SealedEntry).where(tombstones, SealedEntry.version <= cutoff))
    return max(horizon, int(cutoff))


async def build_directory(db: AsyncSession, event_id: int, secret_key: str) -> None:
    """Seal every card of an event whose directory was never built (new events, and events of
    databases migrated from before directories were kept)."""
    salt = _b64url(directory_salt(secret_key, event_id))
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first requests at once: the second waits for the first's lock, then finds nothing to do.
    await _lock_directory(db, event_id)
    await db.execute(
        insert(Directory)
        .values(event_id=event_id, version=0, horizon=0, salt=salt)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    await refresh_directory(db, event_id)


@dataclass(frozen=True)
class DirectoryAnswer:
    """What GET directory answers: 304 when the phone is current, else a JSON body."""

    etag: str
    body: bytes | None


_encode_entry = msgspec.json.Encoder().encode


@dataclass
class _Encoded:
    version: int
    entries: dict[str, bytes] = field(default_factory=dict)
    joined: bytes = b"[]"


def _apply_rows(encoded: _Encoded, rows: Sequence[Any]) -> None:
    for row in rows:
        encoded.version = max(encoded.version, row.version)
        if row.removed:
            encoded.entries.pop(row.key, None)
        else:
            encoded.entries[row.key] = _encode_entry(
                DirectoryEntry(key=row.key, nonce=row.nonce, box=row.box)
            )
    encoded.joined = b"[" + b",".join(encoded.entries.values()) + b"]"


class DirectoryCache:
    """One worker's encoded entries of each event's directory at the latest version it read,
    kept up to date from deltas: a request costs a version lookup plus the encoding of its
    header, never a read of every entry."""

    def __init__(self) -> None:
        self._events: dict[int, _Encoded] = {}
        self._lock = asyncio.Lock()

    async def entries(
        self, db: AsyncSession, event_id: int, version: int, horizon: int
    ) -> tuple[bytes, int]:
        """The JSON array of the live entries at `version` (or newer), and how many."""
        async with self._lock:
            cached = self._events.get(event_id)
            if cached is not None and cached.version == version:
                return cached.joined, len(cached.entries)
            if cached is None or cached.version < horizon or cached.version > version:
                updated = _Encoded(version=0)
                since = -1
            else:
                updated = _Encoded(version=cached.version, entries=dict(cached.entries))
                since = cached.version
            rows = (
                await db.execute(
                    select(
                        SealedEntry.key,
                        SealedEntry.nonce,
                        SealedEntry.box,
                        SealedEntry.removed,
                        SealedEntry.version,
                    ).where(SealedEntry.event_id == event_id, SealedEntry.version > since)
                )
            ).all()
            # 10,000 entries take ~0.1 s to encode: off the event loop.
            await anyio.to_thread.run_sync(_apply_rows, updated, rows)
            updated.version = max(updated.version, version)
            self._events[event_id] = updated
            return updated.joined, len(updated.entries)


async def _directory_state(db: AsyncSession, event_id: int) -> Any:
    orphans = exists().where(
        SealedEntry.event_id == event_id,
        SealedEntry.attendee_id.is_(None),
        SealedEntry.removed.is_(False),
    )
    return (
        await db.execute(
            select(
                Directory.version, Directory.horizon, Directory.salt, orphans.label("orphans")
            ).where(Directory.event_id == event_id)
        )
    ).first()


def _etag(version: int, me: int) -> str:
    return f'"v{version}-a{me}"'


async def prepare_directory(db: AsyncSession, event_id: int, secret_key: str) -> None:
    """Build the event's directory, or tombstone the entries of deleted people (a write)."""
    state = await _directory_state(db, event_id)
    if state is None:
        await build_directory(db, event_id, secret_key)
    elif state.orphans:
        await refresh_directory(db, event_id, ())


async def directory(
    db: AsyncSession,
    event: Event,
    me: Attendee,
    cache: DirectoryCache,
    since: int | None = None,
    if_none_match: str | None = None,
    prepared: bool = False,
) -> DirectoryAnswer | None:
    """The sealed cards of the event's people who allow it (see the module docstring): all of
    them, or what changed since version `since` when the stored tombstones can tell. Only
    reads; None when `prepare_directory` must write first (unless it just did: `prepared`)."""
    state = await _directory_state(db, event.id)
    if state is None or (state.orphans and not prepared):
        return None
    etag = _etag(state.version, me.id)
    if if_none_match and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return DirectoryAnswer(etag=etag, body=None)
    joined, count = await cache.entries(db, event.id, state.version, state.horizon)
    entries, full = msgspec.Raw(joined), True
    removed: list[str] = []
    if since is not None and state.horizon <= since <= state.version:
        delta = (
            await db.execute(
                select(SealedEntry.key, SealedEntry.nonce, SealedEntry.box, SealedEntry.removed)
                .where(SealedEntry.event_id == event.id, SealedEntry.version > since)
                .order_by(SealedEntry.key)
            )
        ).all()
        # Tombstones pruned meanwhile (PostgreSQL reads each statement afresh) may have held
        # removals this delta needed: then the whole directory.
        horizon = await db.scalar(select(Directory.horizon).where(Directory.event_id == event.id))
        # A phone far behind gets everything: one answer, not a delta nearly as large (removed
        # keys are small, and bounded by TOMBSTONES_KEPT).
        if since >= (horizon or 0) and sum(not row.removed for row in delta) * 2 <= count:
            full = False
            removed = [row.key for row in delta if row.removed]
            entries = msgspec.Raw(
                msgspec.json.encode(
                    [
                        DirectoryEntry(key=row.key, nonce=row.nonce, box=row.box)
                        for row in delta
                        if not row.removed
                    ]
                )
            )
    body = msgspec.json.encode(
        DirectoryOut(
            event=event.slug,
            me=me.id,
            algorithm=DIRECTORY_ALGORITHM,
            salt=state.salt,
            key_bytes=DIRECTORY_KEY_BYTES,
            version=state.version,
            full=full,
            # Already encoded (see DirectoryCache): msgspec writes a Raw value as it is.
            entries=cast(list[DirectoryEntry], entries),
            removed=removed,
        )
    )
    return DirectoryAnswer(etag=etag, body=body)
