"""Connections, and the offline outbox that applies each write exactly once.

Who may connect: an account takes part through its attendee record in the event (matched on
e-mail). Connections join two attendees, so only attendees own them; organizers and staff who are
not attendees get `not_in_event`, the same answer as an unknown event (unknown and forbidden look
alike).

Exactly once: `apply_batches` runs each operation in its own savepoint and, in that savepoint,
first inserts the operation's id into `sync_operations` (unique per account), then applies its
effect. A unique violation rolls the savepoint back and means the operation was already applied:
the stored result is answered as `duplicate` (or `conflict_payload` when the same id came with a
different payload). Ids already committed are found with one query per group so replays skip the
savepoints; that read only speeds replays up, the insert stays the arbiter. Operation ids are
per account; replies carry each id as the phone wrote it. On PostgreSQL one
account's batches take a transaction-level advisory lock, so two devices (or a retry racing the
first attempt) cannot deadlock on each other's rows and the state read at the start of a batch
is the state it writes to; SQLite's `BEGIN IMMEDIATE` serializes writers already. A connection is
written with an upsert on (event, owner, other), so two first scans of one person always end as
one connection with both scans counted.

Reason codes (stable; `status` is `applied` or `rejected`):
  applied:  created, merged (scan or connect back of someone already connected), updated (note or
            tags), merged_conflict (a note edited from an old revision: both texts kept), removed
  rejected: unknown_badge, revoked, self_scan, deleted_account, not_in_event, not_connected (a
            connect back to someone who has not connected with me), unknown_connection,
            conflict_payload, invalid (with `field`)
  duplicate: a replay; the original result's fields, `original_reason` and `replayed: true`.
A badge of another event answers `unknown_badge`, like one that never existed: no oracle.

Note merging: an edit whose base revision is the current one replaces the note. An older base
means another device edited meanwhile; nothing is dropped: the note becomes the current text, a
marked line naming when the other edit was made, then the incoming text (unless one text already
contains the other), and the owner merges by hand.

SQLite writes are grouped: while one group transaction runs, new requests queue, and the next
group applies all of them (each operation still in its own savepoint) under one commit, in a
worker thread on a plain sqlite3 connection, with the per-operation writes compiled once and run
on the driver's cursor. A statement through aiosqlite costs 120-230 µs here against 5-25 µs this
way; what a group needs is read in a handful of queries, and its picture of the connections is
kept up to date as it writes (exact, since one account's writes never run concurrently). One
scan per request reaches ~2,700/s against ~300/s for commit-per-scan (bench/sync.py).
PostgreSQL runs each request in its own transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

import anyio
import msgspec
from sqlalchemy import (
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection as DbConnection
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter

from api.auth.service import hash_secret
from api.badges.schemas import CardOut
from api.badges.service import shared_card
from api.badges.tokens import token_from_scan
from api.connections.schemas import (
    AnyOperation,
    ConnectBackOp,
    ConnectedWithMeOut,
    ConnectionOut,
    NoteOp,
    OnConnection,
    OperationResult,
    RemoveOp,
    ScanOp,
    TagsOp,
)
from api.db import JSON_CODEC, configure_sqlite, is_sqlite, transaction
from api.errors import Conflict, DomainError, NotSignedIn
from api.i18n import translate
from api.models import (
    Account,
    Attendee,
    Badge,
    Connection,
    Event,
    LoginSession,
    SyncOperation,
    utcnow,
)
from api.profiles.schemas import SHAREABLE
from api.starters.engine import EventIndex, starters_for
from api.starters.service import describe as describe_starters
from api.starters.service import event_index_sync, person_from
from api.vocabulary import normalize_term

# pg_advisory_xact_lock(space, account id): one account's batches run one at a time.
SYNC_LOCK_SPACE = 0x53594E43  # "SYNC"
MAX_OPERATION_BYTES = 32_000
MAX_GROUP_OPERATIONS = 1000
DETAILS = {
    "unknown_badge": "No badge with this code in this event.",
    "revoked": "This badge was replaced by a new one; ask the person for their current badge.",
    "self_scan": "This is your own badge.",
    "deleted_account": "This person is no longer part of the event.",
    "not_in_event": "No such event, or you are not an attendee of it.",
    "not_connected": "This person has not connected with you.",
    "unknown_connection": "No such connection of yours in this event.",
    "conflict_payload": "This operation id was already used for a different operation.",
}
_FIELD_AT = re.compile(r"at `\$\.([A-Za-z_]+)")
_FIELD_MISSING = re.compile(r"required field `([A-Za-z_]+)`")


# Pure pieces: validation, hashing, merging, directory keys.


def payload_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of the operation's canonical JSON (keys sorted, no spaces), its id left out."""
    payload = {key: value for key, value in raw.items() if key != "id"}
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


def parse_operation(raw: dict[str, Any]) -> AnyOperation | OperationResult:
    """The operation, or its `invalid` answer naming the field at fault."""
    raw_id = raw.get("id")
    op_id = raw_id if isinstance(raw_id, str) else ""
    encoded = msgspec.json.encode(raw)
    if len(encoded) > MAX_OPERATION_BYTES:
        return _invalid(op_id, "operation", "This operation is too large.")
    # PostgreSQL cannot store a NUL character, and no field of an operation needs one.
    if b"\\u0000" in encoded and (field_name := _field_with_nul(raw)) is not None:
        return _invalid(op_id, field_name, "Remove the NUL character (\\u0000).")
    try:
        operation: AnyOperation = msgspec.convert(raw, AnyOperation)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _FIELD_AT.search(message) or _FIELD_MISSING.search(message)
        return _invalid(op_id, found.group(1) if found else "operation", message)
    if isinstance(operation, OnConnection) and not (operation.connection or operation.scanned):
        return _invalid(str(operation.id), "connection", "Name the connection or the badge.")
    return operation


def _field_with_nul(raw: dict[str, Any]) -> str | None:
    """The first field holding a NUL character (in its name or anywhere in its value)."""

    def has_nul(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        if isinstance(value, list):
            return any(has_nul(item) for item in value)
        return False

    for name, value in raw.items():
        if has_nul(name):
            return "operation"
        if has_nul(value):
            return name
    return None


def _invalid(op_id: str, field_name: str, detail: str) -> OperationResult:
    return OperationResult(
        id=op_id, status="rejected", reason="invalid", field=field_name, detail=detail
    )


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags trimmed and single-spaced, without repeats (compared without case or accents)."""
    kept: dict[str, str] = {}
    for tag in tags:
        cleaned = " ".join(tag.split())
        if cleaned:
            kept.setdefault(normalize_term(cleaned), cleaned)
    return list(kept.values())


def merge_note(current: str, incoming: str, when: datetime, language: str) -> str:
    """Both texts of a note edited on two devices: nothing is lost, the owner merges them."""
    if not incoming.strip() or incoming in current:
        return current
    if not current.strip() or current in incoming:
        return incoming
    marker = translate(language, "note.also_written", when=when.strftime("%Y-%m-%d %H:%M UTC"))
    return f"{current}\n\n{marker}\n{incoming}"


# Applying batches (synchronous, in the caller's transaction).


@dataclass(slots=True, frozen=True)
class Signer:
    """Who sends a batch: the few account fields applying it needs."""

    id: int
    email: str
    language: str

    @classmethod
    def of(cls, account: Account) -> Signer:
        return cls(account.id, account.email, account.language)


@dataclass(slots=True, frozen=True)
class Member:
    """The account's attendee record in one event."""

    event_id: int
    attendee_id: int


@dataclass(slots=True)
class Link:
    """One connection as the group sees it, kept up to date as the group writes."""

    id: int
    owner_id: int
    other_id: int
    note: str
    note_revision: int
    tags: list[str]
    first_met_at: datetime
    last_met_at: datetime
    removed_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class ScannedBadge:
    attendee_id: int | None  # None: the badge outlived its attendee
    event_id: int
    revoked: bool


@dataclass(slots=True)
class Plan:
    """What one operation will do: its recorded result, and the write (if any) to run."""

    result: dict[str, Any]
    write: str | None = None  # a name in Statements
    params: dict[str, Any] = field(default_factory=dict)
    after: Callable[[Sequence[Any] | None], None] | None = None


@dataclass(slots=True, frozen=True)
class Prepared:
    """A write compiled once for SQLite and run on the driver's cursor: no compiling, no result
    objects per call (what SQLAlchemy's execute spends most of an operation's time on)."""

    sql: str
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    returns_rows: bool

    @classmethod
    def compile(cls, statement: UpdateBase, dialect: Dialect, keys: list[str] | None) -> Prepared:
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
        binds = tuple(
            (
                name,
                compiled.binds[name].effective_value,
                compiled.binds[name].type.bind_processor(dialect),
            )
            for name in compiled.positiontup
        )
        return cls(compiled.string, binds, bool(compiled.returning))

    def run(self, cursor: Any, params: dict[str, Any]) -> Sequence[Any] | None:
        values = []
        for name, default, process in self.binds:
            value = params.get(name, default)
            values.append(value if process is None else process(value))
        cursor.execute(self.sql, values)
        row: Sequence[Any] | None = cursor.fetchone() if self.returns_rows else None
        return row


class Statements:
    """The write statements, built once per dialect and run with parameters (cheap to reuse)."""

    def __init__(self, dialect: Dialect) -> None:
        table = Connection.__table__
        self.record = insert(SyncOperation)
        scan = _upsert(dialect.name)
        self.scan = scan.on_conflict_do_update(
            index_elements=[table.c.owner_id, table.c.other_id, table.c.event_id],
            set_={
                "scan_count": table.c.scan_count + 1,
                "first_met_at": case(
                    (scan.excluded.first_met_at < table.c.first_met_at, scan.excluded.first_met_at),
                    else_=table.c.first_met_at,
                ),
                "last_met_at": case(
                    (scan.excluded.last_met_at > table.c.last_met_at, scan.excluded.last_met_at),
                    else_=table.c.last_met_at,
                ),
                # A scan made after the removal restores the connection; an older one does not.
                "removed_at": case(
                    (table.c.removed_at <= scan.excluded.last_met_at, null()),
                    else_=table.c.removed_at,
                ),
                "updated_at": scan.excluded.updated_at,
            },
        ).returning(table.c.id)
        back = _upsert(dialect.name)
        self.connect_back = back.on_conflict_do_update(
            index_elements=[table.c.owner_id, table.c.other_id, table.c.event_id],
            set_={"removed_at": null(), "updated_at": back.excluded.updated_at},
        ).returning(table.c.id)
        mine = table.c.id == bindparam("connection_id")
        self.note = (
            update(Connection)
            .where(mine)
            .values(
                note=bindparam("new_note"),
                note_revision=bindparam("new_revision"),
                updated_at=bindparam("now"),
            )
        )
        self.tags = (
            update(Connection)
            .where(mine)
            .values(tags=bindparam("new_tags"), updated_at=bindparam("now"))
        )
        self.remove = (
            update(Connection)
            .where(mine)
            .values(removed_at=bindparam("removed"), updated_at=bindparam("now"))
        )
        self.core: dict[str, UpdateBase] = {
            "record": self.record,
            "scan": self.scan,
            "connect_back": self.connect_back,
            "note": self.note,
            "tags": self.tags,
            "remove": self.remove,
        }
        # Only the plain sqlite3 driver runs in our thread and can be driven directly.
        self.prepared: dict[str, Prepared] = {}
        if dialect.name == "sqlite" and dialect.driver == "pysqlite":
            columns = {
                "record": RECORD_COLUMNS,
                "scan": CONNECTION_COLUMNS,
                "connect_back": CONNECTION_COLUMNS,
            }
            self.prepared = {
                name: Prepared.compile(statement, dialect, columns.get(name))
                for name, statement in self.core.items()
            }


def _upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(Connection) if dialect == "postgresql" else sqlite.insert(Connection)


RECORD_COLUMNS = ["account_id", "op_id", "kind", "payload_hash", "result", "created_at"]
CONNECTION_COLUMNS = [
    "event_id",
    "owner_id",
    "other_id",
    "first_met_at",
    "last_met_at",
    "scan_count",
    "note",
    "note_revision",
    "tags",
    "created_at",
    "updated_at",
    "removed_at",
]
_STATEMENTS: dict[tuple[str, str], Statements] = {}


def _statements(dialect: Dialect) -> Statements:
    key = (dialect.name, dialect.driver)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = Statements(dialect)
    return _STATEMENTS[key]


def _applied(reason: str, **values: Any) -> dict[str, Any]:
    return {"status": "applied", "reason": reason, **values}


def _rejected(reason: str) -> dict[str, Any]:
    return {"status": "rejected", "reason": reason, "detail": DETAILS[reason]}


# What a group reads, built once: an `in_()` over a literal list costs ~0.1 ms to build and
# to compile every time, while expanding parameters are bound when the statement runs.
def _in(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


# The columns shared_card reads: a row of them instead of a loaded Attendee (a third the cost).
CARD_COLUMNS = (
    Attendee.id,
    Attendee.name,
    Attendee.organization,
    Attendee.shared_fields,
    *(getattr(Attendee, name) for name in SHAREABLE if name != "email"),
    Attendee.email,
)
SIGNED_IN = (
    select(LoginSession.token_hash, Account.id, Account.email, Account.language)
    .join(Account, Account.id == LoginSession.account_id)
    .where(LoginSession.token_hash.in_(_in("hashes")), LoginSession.expires_at > bindparam("now"))
)
RECORDED = select(
    SyncOperation.account_id, SyncOperation.op_id, SyncOperation.payload_hash, SyncOperation.result
).where(SyncOperation.account_id.in_(_in("accounts")), SyncOperation.op_id.in_(_in("op_ids")))
MEMBERS = (
    select(Attendee.email, Event.slug, Event.id, Attendee.id)
    .join(Event, Event.id == Attendee.event_id)
    .where(Event.slug.in_(_in("slugs")), Attendee.email.in_(_in("emails")))
)
BADGES = (
    select(Badge.token, Badge.revoked_at, Badge.event_id, *CARD_COLUMNS)
    .outerjoin(Attendee, Attendee.id == Badge.attendee_id)
    .where(Badge.token.in_(_in("tokens")))
)
# Both directions between the people named, and connections named by id.
LINKS = select(
    Connection.id,
    Connection.owner_id,
    Connection.other_id,
    Connection.note,
    Connection.note_revision,
    Connection.tags,
    Connection.first_met_at,
    Connection.last_met_at,
    Connection.removed_at,
).where(
    or_(
        and_(Connection.other_id.in_(_in("others")), Connection.owner_id.in_(_in("owners"))),
        and_(Connection.other_id.in_(_in("owners_")), Connection.owner_id.in_(_in("others_"))),
        Connection.id.in_(_in("ids")),
    )
)
CARDS = select(*CARD_COLUMNS).where(Attendee.id.in_(_in("ids")))
# Who reads starters: their card columns, event and language (their account's, if they have one).
READERS = (
    select(
        *CARD_COLUMNS,
        Attendee.event_id,
        Attendee.language,
        Account.language.label("account_language"),
    )
    .outerjoin(Account, Account.email == Attendee.email)
    .where(Attendee.id.in_(_in("ids")))
)


def _card(row: Any) -> CardOut:
    # A row of CARD_COLUMNS has every attribute shared_card reads.
    return shared_card(cast(Attendee, row))


# One operation's outcome before it is presented: (operation, stored result or reply, replayed,
# id as sent).
# The reply carries the id as the phone wrote it (its outbox looks the answer up by it).
Answer = tuple[AnyOperation | None, OperationResult | dict[str, Any], bool, str]
# An operation as received: (operation, payload hash, id as sent), or its `invalid` answer.
Parsed = tuple[AnyOperation, str, str] | OperationResult


class Group:
    """Batches of one or more accounts in one transaction: what they name is read up front in a
    few queries, then each operation is recorded and applied in its own savepoint, and the
    group's picture of the connections follows each write, so the replies need no more reads."""

    def __init__(self, db: Session, now: datetime) -> None:
        self.db = db
        self.conn = db.connection()
        self.now = now
        self.sql = _statements(self.conn.dialect)
        # The sqlite3 cursor when the writes can go to it directly (see Prepared).
        self.cursor: Any = None
        if self.sql.prepared:
            self.cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.tokens: dict[str, str | None] = {}
        self.recorded: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}
        self.members: dict[tuple[str, str], Member] = {}  # (e-mail, event slug)
        self.badges: dict[str, ScannedBadge] = {}
        self.links: dict[tuple[int, int], Link] = {}  # (owner, other)
        self.link_ids: dict[int, Link] = {}
        self.people: dict[int, Any] = {}  # rows of CARD_COLUMNS
        self.readers: dict[int, Any] = {}  # rows of READERS
        self.indexes: dict[int, EventIndex] = {}

    def load(self, batches: Sequence[tuple[Signer, Sequence[Parsed]]]) -> None:
        """Read the recorded ids, events, badges and connections the batches name."""
        operations = [
            (account, item[0])
            for account, items in batches
            for item in items
            if not isinstance(item, OperationResult)
        ]
        if not operations:
            return
        rows = self.conn.execute(
            RECORDED,
            {
                "accounts": list({account.id for account, _ in operations}),
                "op_ids": list({str(op.id) for _, op in operations}),
            },
        )
        self.recorded = {(account, op): (digest, result) for account, op, digest, result in rows}
        fresh = [(a, op) for a, op in operations if (a.id, str(op.id)) not in self.recorded]
        if fresh:
            members = self.conn.execute(
                MEMBERS,
                {
                    "slugs": list({op.event for _, op in fresh}),
                    "emails": list({account.email for account, _ in fresh}),
                },
            )
            self.members = {(e, slug): Member(event, me) for e, slug, event, me in members}
        pending = [op for a, op in fresh if (a.email, op.event) in self.members]
        tokens = {
            token
            for op in pending
            if isinstance(op, ScanOp | OnConnection) and op.scanned is not None
            if (token := self._token(op.scanned)) is not None
        }
        if tokens:
            for row in self.conn.execute(BADGES, {"tokens": list(tokens)}):
                self.badges[row.token] = ScannedBadge(row.id, row.event_id, bool(row.revoked_at))
                if row.id is not None:
                    self.people[row.id] = row
        owners = {m.attendee_id for a, op in fresh if (m := self.members.get((a.email, op.event)))}
        others = {b.attendee_id for b in self.badges.values() if b.attendee_id is not None}
        others |= {op.attendee for op in pending if isinstance(op, ConnectBackOp)}
        for _, result in self.recorded.values():
            if "owner" in result:
                owners.add(result["owner"])
                others.add(result["attendee"])
        ids = {op.connection for op in pending if isinstance(op, OnConnection) and op.connection}
        self._load_links(owners, others, ids)

    def _load_links(self, owners: set[int], others: set[int], ids: set[int]) -> None:
        if not (owners and others) and not ids:
            return
        found = self.conn.execute(
            LINKS,
            {
                "owners": list(owners),
                "others": list(others),
                "owners_": list(owners),
                "others_": list(others),
                "ids": list(ids),
            },
        )
        for row in found:
            self._remember(Link(*row))

    def _token(self, scanned: str) -> str | None:
        if scanned not in self.tokens:
            self.tokens[scanned] = token_from_scan(scanned)
        return self.tokens[scanned]

    def _remember(self, link: Link) -> None:
        self.links[(link.owner_id, link.other_id)] = link
        self.link_ids[link.id] = link

    def run(self, account: Signer, items: Sequence[Parsed]) -> list[Answer]:
        """Apply one account's batch in order; answers in the same order."""
        answers: list[Answer] = []
        for item in items:
            if isinstance(item, OperationResult):
                answers.append((None, item, False, item.id))
                continue
            op, digest, sent = item
            stored = self.recorded.get((account.id, str(op.id)))
            result, replayed = (
                _replay(stored, digest) if stored else self.apply(account, op, digest)
            )
            answers.append((op, result, replayed, sent))
        return answers

    def apply(self, account: Signer, op: AnyOperation, digest: str) -> tuple[dict[str, Any], bool]:
        """Record and apply one operation in its own savepoint; (result, replayed)."""
        member = self.members.get((account.email, op.event))
        if member is None:
            plan = Plan(_rejected("not_in_event"))
        elif isinstance(op, ScanOp):
            plan = self._scan(op, member)
        elif isinstance(op, ConnectBackOp):
            plan = self._connect_back(op, member)
        else:
            plan = self._edit(op, member, account.language)
        op_id = str(op.id)
        record = {
            "account_id": account.id,
            "op_id": op_id,
            "kind": str(op.__struct_config__.tag),
            "payload_hash": digest,
            "result": plan.result,
            "created_at": self.now,
        }
        try:
            with self._savepoint():
                # The id first: a replay or a concurrent duplicate stops here, before any effect.
                self._write("record", record)
                row = None if plan.write is None else self._write(plan.write, plan.params)
        except (IntegrityError, sqlite3.IntegrityError):
            stored = recorded_operations(self.conn, account.id, [op_id]).get(op_id)
            if stored is None:
                raise
            return _replay(stored, digest)
        # Only now, with the savepoint released, does this group's picture of the data change.
        if plan.after is not None:
            plan.after(row)
        return plan.result, False

    def _write(self, name: str, params: dict[str, Any]) -> Sequence[Any] | None:
        if self.cursor is not None:
            return self.sql.prepared[name].run(self.cursor, params)
        written = self.conn.execute(self.sql.core[name], params)
        return written.first() if written.returns_rows else None

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        if self.cursor is None:
            with self.conn.begin_nested():
                yield
            return
        # The same SQL as begin_nested(), on the cursor the writes use.
        self.cursor.execute("SAVEPOINT sync_op")
        try:
            yield
        except BaseException:
            self.cursor.execute("ROLLBACK TO SAVEPOINT sync_op")
            self.cursor.execute("RELEASE SAVEPOINT sync_op")
            raise
        self.cursor.execute("RELEASE SAVEPOINT sync_op")

    def _at(self, op: AnyOperation) -> datetime:
        # A phone clock ahead of ours cannot date a meeting in the future.
        return min(op.at, self.now)

    def _scan(self, op: ScanOp, me: Member) -> Plan:
        token = self._token(op.scanned)
        badge = self.badges.get(token) if token else None
        if badge is None:
            return Plan(_rejected("unknown_badge"))
        if badge.event_id != me.event_id:  # another event's badge: as if it never existed
            return Plan(_rejected("unknown_badge"))
        other = badge.attendee_id
        if other is None:
            return Plan(_rejected("deleted_account"))
        if badge.revoked:
            return Plan(_rejected("revoked"))
        if other == me.attendee_id:
            return Plan(_rejected("self_scan"))
        at = self._at(op)
        link = self.links.get((me.attendee_id, other))
        reason = "merged" if link else "created"
        result = _applied(reason, owner=me.attendee_id, attendee=other)

        def after(row: Sequence[Any] | None) -> None:
            assert row is not None
            if link is None:
                self._remember(Link(row[0], me.attendee_id, other, "", 0, [], at, at, None))
                return
            link.first_met_at = min(link.first_met_at, at)
            link.last_met_at = max(link.last_met_at, at)
            if link.removed_at is not None and link.removed_at <= at:
                link.removed_at = None

        return Plan(result, "scan", self._new_connection(me, other, at, 1), after)

    def _new_connection(
        self, me: Member, other_id: int, first: datetime, scans: int, last: datetime | None = None
    ) -> dict[str, Any]:
        return {
            "event_id": me.event_id,
            "owner_id": me.attendee_id,
            "other_id": other_id,
            "first_met_at": first,
            "last_met_at": last or first,
            "scan_count": scans,
            "note": "",
            "note_revision": 0,
            "tags": [],
            "created_at": self.now,
            "updated_at": self.now,
            "removed_at": None,
        }

    def _connect_back(self, op: ConnectBackOp, me: Member) -> Plan:
        theirs = self.links.get((op.attendee, me.attendee_id))
        if theirs is None or theirs.removed_at is not None:
            return Plan(_rejected("not_connected"))
        link = self.links.get((me.attendee_id, op.attendee))
        reason = "merged" if link else "created"
        result = _applied(reason, owner=me.attendee_id, attendee=op.attendee)
        # When they scanned me is when we met; I have scanned nobody.
        first, last = theirs.first_met_at, theirs.last_met_at

        def after(row: Sequence[Any] | None) -> None:
            assert row is not None
            if link is None:
                self._remember(Link(row[0], me.attendee_id, op.attendee, "", 0, [], first, last))
            else:
                link.removed_at = None

        params = self._new_connection(me, op.attendee, first, 0, last)
        return Plan(result, "connect_back", params, after)

    def _target(self, op: OnConnection, me: Member) -> Link | None:
        if op.connection is not None:
            link = self.link_ids.get(op.connection)
            return link if link is not None and link.owner_id == me.attendee_id else None
        token = self._token(op.scanned or "")
        badge = self.badges.get(token) if token else None
        if badge is None or badge.attendee_id is None:
            return None
        return self.links.get((me.attendee_id, badge.attendee_id))

    def _edit(self, op: NoteOp | TagsOp | RemoveOp, me: Member, language: str) -> Plan:
        link = self._target(op, me)
        if link is None:
            return Plan(_rejected("unknown_connection"))
        ids = {"owner": link.owner_id, "attendee": link.other_id, "connection": link.id}
        params: dict[str, Any] = {"connection_id": link.id, "now": self.now}
        if isinstance(op, TagsOp):
            tags = clean_tags(op.tags)

            def tagged(_: Sequence[Any] | None) -> None:
                link.tags = tags

            params["new_tags"] = tags
            return Plan(_applied("updated", **ids), "tags", params, tagged)
        if isinstance(op, RemoveOp):
            removed = link.removed_at or self._at(op)

            def removed_now(_: Sequence[Any] | None) -> None:
                link.removed_at = removed

            params["removed"] = removed
            return Plan(_applied("removed", **ids), "remove", params, removed_now)
        if op.base_revision > link.note_revision:
            result = {
                "status": "rejected",
                "reason": "invalid",
                "field": "base_revision",
                "detail": "base_revision is newer than the note; reload the connection.",
            }
            return Plan(result)
        if op.base_revision == link.note_revision:
            reason, text = "updated", op.text
        else:
            reason = "merged_conflict"
            text = merge_note(link.note, op.text, self._at(op), language)
        revision = link.note_revision + 1

        def noted(_: Sequence[Any] | None) -> None:
            link.note, link.note_revision = text, revision

        params |= {"new_note": text, "new_revision": revision}
        return Plan(_applied(reason, **ids), "note", params, noted)

    def present(
        self, batches: Sequence[list[Answer]], starters: Sequence[bool]
    ) -> list[list[OperationResult]]:
        """The replies: stored results, with what the phone shows (cards, notes) as of now, and
        conversation starters for the scans of the batches that asked for them."""
        named = [
            (op, result, wanted)
            for answers, wanted in zip(batches, starters, strict=True)
            for op, result, *_ in answers
            if isinstance(result, dict) and "owner" in result
        ]
        # Only a duplicate met inside the group (not loaded up front) can be missing here.
        missing = {(r["owner"], r["attendee"]) for _, r, _ in named} - set(self.links)
        if missing:
            self._load_links({p[0] for p in missing}, {p[1] for p in missing}, set())
        shown = {r["attendee"] for op, r, _ in named if isinstance(op, ScanOp | ConnectBackOp)}
        unknown = shown - set(self.people)
        if unknown:
            for person in self.conn.execute(CARDS, {"ids": list(unknown)}):
                self.people[person.id] = person
        found = self._starters(
            {
                (r["owner"], r["attendee"])
                for op, r, wanted in named
                if wanted and isinstance(op, ScanOp)
            }
        )
        return [
            [self._reply(*answer, found if wanted else None) for answer in answers]
            for answers, wanted in zip(batches, starters, strict=True)
        ]

    def _starters(self, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[Any]]:
        """Conversation starters per (reader, other) pair, in the reader's language; the others'
        rows are the cards already read."""
        readers = {owner for owner, _ in pairs} - set(self.readers)
        if readers:
            for row in self.conn.execute(READERS, {"ids": list(readers)}):
                self.readers[row.id] = row
        found: dict[tuple[int, int], list[Any]] = {}
        for owner, other in pairs:
            reader, person = self.readers.get(owner), self.people.get(other)
            if reader is None or person is None:
                continue
            index = self.indexes.get(reader.event_id)
            if index is None:
                index = self.indexes[reader.event_id] = event_index_sync(self.db, reader.event_id)
            language = reader.account_language or reader.language or "es"
            found[(owner, other)] = describe_starters(
                starters_for(
                    person_from(cast(Attendee, reader)),
                    person_from(cast(Attendee, person)),
                    index,
                    language,
                )
            )
        return found

    def _reply(
        self,
        op: AnyOperation | None,
        result: OperationResult | dict[str, Any],
        replayed: bool,
        sent: str,
        starters: dict[tuple[int, int], list[Any]] | None,
    ) -> OperationResult:
        if isinstance(result, OperationResult):
            return result
        assert op is not None
        reply = OperationResult(
            id=sent,
            status=result["status"],
            reason="duplicate" if replayed else result["reason"],
            replayed=replayed,
            original_reason=result["reason"] if replayed else None,
            field=result.get("field"),
            detail=result.get("detail"),
        )
        if "owner" not in result:
            return reply
        owner, other = result["owner"], result["attendee"]
        reply.attendee = other
        link = self.links.get((owner, other))
        if link is not None:
            reply.connection = link.id
            if isinstance(op, NoteOp | TagsOp):
                reply.note, reply.note_revision, reply.tags = (
                    link.note,
                    link.note_revision,
                    link.tags,
                )
        if isinstance(op, ScanOp | ConnectBackOp):
            person = self.people.get(other)
            if person is not None:
                reply.card = _card(person)
            back = self.links.get((other, owner))
            reply.mutual = back is not None and back.removed_at is None
        if starters is not None and isinstance(op, ScanOp):
            reply.starters = starters.get((owner, other), [])
        return reply


def _replay(stored: tuple[str, dict[str, Any]], digest: str) -> tuple[dict[str, Any], bool]:
    """The stored result of an operation seen before (result, replayed)."""
    stored_hash, result = stored
    if stored_hash != digest:
        # The same id with another payload: refused, and the stored operation stands.
        return _rejected("conflict_payload"), False
    return result, True


def recorded_operations(
    conn: DbConnection, account_id: int, op_ids: Sequence[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Operations of this account already recorded: op id -> (payload hash, result)."""
    rows = conn.execute(
        select(SyncOperation.op_id, SyncOperation.payload_hash, SyncOperation.result).where(
            SyncOperation.account_id == account_id, SyncOperation.op_id.in_(set(op_ids))
        )
    )
    return {op_id: (digest, result) for op_id, digest, result in rows}


def _parse(raw: dict[str, Any]) -> Parsed:
    operation = parse_operation(raw)
    if isinstance(operation, OperationResult):
        return operation
    return operation, payload_hash(raw), str(raw["id"])


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """One POST /api/sync: the session cookie that signs it, its operations, whether scans are
    answered with conversation starters, and the account the phone wrote the operations as."""

    cookie: str | None
    operations: Sequence[dict[str, Any]]
    starters: bool = False
    author: str | None = None


def apply_batches(
    db: Session,
    batches: Sequence[tuple[Signer, Sequence[dict[str, Any]]]],
    now: datetime | None = None,
    starters: Sequence[bool] | None = None,
) -> list[list[OperationResult] | Exception]:
    """Apply batches (one per request) in the caller's transaction, each operation once, in its
    own savepoint; a batch that fails unexpectedly answers its exception, the others go on.
    `starters` says, per batch, whether its scans are answered with conversation starters."""
    group = Group(db, now or utcnow())
    parsed = [(account, [_parse(raw) for raw in operations]) for account, operations in batches]
    if group.conn.dialect.name == "postgresql":
        for account_id in sorted({account.id for account, _ in batches}):
            group.conn.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK_SPACE, account_id)))
    group.load(parsed)
    wanted = list(starters) if starters is not None else [False] * len(batches)
    outcomes: list[list[Answer] | Exception] = []
    for account, items in parsed:
        try:
            outcomes.append(group.run(account, items))
        except Exception as exc:  # what it applied stands; its client's replay answers it
            outcomes.append(exc)
    kept = [(o, w) for o, w in zip(outcomes, wanted, strict=True) if not isinstance(o, Exception)]
    replies = iter(group.present([o for o, _ in kept], [w for _, w in kept]))
    return [o if isinstance(o, Exception) else next(replies) for o in outcomes]


def apply_operations(
    db: Session,
    account: Account,
    operations: Sequence[dict[str, Any]],
    now: datetime | None = None,
    starters: bool = False,
) -> list[OperationResult]:
    """Apply one account's batch in the caller's transaction (see `apply_batches`)."""
    [outcome] = apply_batches(db, [(Signer.of(account), operations)], now, [starters])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def accounts_for_cookies(db: Session, cookies: Sequence[str]) -> dict[str, Signer]:
    """The signed-in accounts for session cookies (as api.auth.service, for many at once)."""
    hashes = {hash_secret(cookie): cookie for cookie in cookies if cookie}
    if not hashes:
        return {}
    rows = db.connection().execute(SIGNED_IN, {"hashes": list(hashes), "now": utcnow()})
    return {
        hashes[token_hash]: Signer(account_id, email, language)
        for token_hash, account_id, email, language in rows
    }


def _signer_for(request: SyncRequest, accounts: dict[str, Signer]) -> Signer | DomainError:
    signer = accounts.get(request.cookie) if request.cookie else None
    if signer is None:
        return NotSignedIn("Sign in to continue.")
    if request.author is not None and request.author.strip().lower() != signer.email:
        # Written on this phone by someone else (a shared phone, a tab left open): never applied
        # as the person now signed in. The phone keeps them for their author.
        return Conflict(
            "These operations were written by another account; sign in as it to send them.",
            code="account_mismatch",
        )
    return signer


def sync_for_cookies(
    db: Session, requests: Sequence[SyncRequest]
) -> list[list[OperationResult] | Exception]:
    """Apply each request's batch for whoever its session cookie signs in."""
    accounts = accounts_for_cookies(db, [r.cookie for r in requests if r.cookie])
    signers = [_signer_for(request, accounts) for request in requests]
    signed = [
        (signer, request)
        for signer, request in zip(signers, requests, strict=True)
        if isinstance(signer, Signer)
    ]
    applied = iter(
        apply_batches(
            db, [(s, r.operations) for s, r in signed], None, [r.starters for _, r in signed]
        )
        if signed
        else []
    )
    return [s if isinstance(s, DomainError) else next(applied) for s in signers]


# Running batches: one transaction per request (PostgreSQL) or grouped commits (SQLite).


class Outbox(Protocol):
    async def apply(self, request: SyncRequest) -> list[OperationResult]: ...

    async def close(self) -> None: ...


class TransactionOutbox:
    """Each request's batch in its own transaction; PostgreSQL runs them side by side."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory

    async def close(self) -> None:
        return None

    async def apply(self, request: SyncRequest) -> list[OperationResult]:
        async with transaction(self.factory) as session:
            [outcome] = await session.run_sync(sync_for_cookies, [request])
            if isinstance(outcome, Exception):
                raise outcome  # and the transaction rolls back
            return outcome


@dataclass(slots=True)
class _Job:
    request: SyncRequest
    reply: asyncio.Future[list[OperationResult]]


class GroupCommitOutbox:
    """SQLite: batches that arrive while a group is being written share the next commit."""

    def __init__(self, database_url: str) -> None:
        self.engine = writer_engine(database_url)
        self.waiting: list[_Job] = []
        self.flusher: asyncio.Task[None] | None = None

    async def close(self) -> None:
        """Let the group being written finish, then close the writer's connection."""
        if self.flusher is not None:
            await asyncio.wait({self.flusher})
        self.engine.dispose()

    async def apply(self, request: SyncRequest) -> list[OperationResult]:
        job = _Job(request, asyncio.get_running_loop().create_future())
        self.waiting.append(job)
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._drain())
        return await job.reply

    async def _drain(self) -> None:
        while self.waiting:
            group = [self.waiting.pop(0)]
            size = len(group[0].request.operations)
            while (
                self.waiting
                and size + len(self.waiting[0].request.operations) <= MAX_GROUP_OPERATIONS
            ):
                group.append(self.waiting.pop(0))
                size += len(group[-1].request.operations)
            try:
                outcomes = await anyio.to_thread.run_sync(self._write_group, group)
            except Exception as exc:
                # Nothing of the group was committed. With others in it, each request again in a
                # transaction of its own: one request's failure (a database error only its data
                # provokes) is not everybody's.
                outcomes = [exc] if len(group) == 1 else [await self._alone(job) for job in group]
            for job, outcome in zip(group, outcomes, strict=True):
                if job.reply.done():  # the request went away; its client will replay
                    continue
                if isinstance(outcome, Exception):
                    job.reply.set_exception(outcome)
                else:
                    job.reply.set_result(outcome)

    async def _alone(self, job: _Job) -> list[OperationResult] | Exception:
        try:
            [outcome] = await anyio.to_thread.run_sync(self._write_group, [job])
        except Exception as exc:  # its commit failed: nothing of it was applied
            return exc
        return outcome

    def _write_group(self, group: list[_Job]) -> list[list[OperationResult] | Exception]:
        # rollback_only: the session works in the group's transaction and never ends it.
        with (
            self.engine.connect() as connection,
            connection.begin(),
            Session(bind=connection, join_transaction_mode="rollback_only") as db,
        ):
            return sync_for_cookies(db, [job.request for job in group])


def writer_engine(database_url: str) -> Engine:
    """A plain (synchronous) SQLite engine for the group writer, set up as api.db's."""
    url = make_url(database_url).set(drivername="sqlite")
    # One connection, kept: only the drain task writes, one group at a time, from worker
    # threads (hence check_same_thread). Closing the last connection to a WAL database
    # checkpoints it, which would cost each group milliseconds when the app is otherwise idle.
    engine = create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": 30, "check_same_thread": False},
        **JSON_CODEC,
    )

    configure_sqlite(engine)
    return engine


def open_outbox(database_url: str, factory: async_sessionmaker[AsyncSession]) -> Outbox:
    """The way this deployment applies batches: grouped on SQLite, per request elsewhere."""
    if is_sqlite(database_url):
        return GroupCommitOutbox(database_url)
    return TransactionOutbox(factory)


async def prune_sync_records(db: AsyncSession, before: datetime) -> int:
    """Forget operations applied before `before`; answers how many. A phone replays what it has
    not had an answer for within minutes or days, so records are kept for weeks (the setting
    `sync_keep_days`); an operation replayed after that would be applied again."""
    pruned = await db.execute(delete(SyncOperation).where(SyncOperation.created_at < before))
    return int(getattr(pruned, "rowcount", 0) or 0)


# Reading connections (async, in the request's transaction).


async def my_connections(
    db: AsyncSession, event: Event, me: Attendee, q: str = "", tag: str = ""
) -> list[ConnectionOut]:
    """My connections in the event, last met first; `q` searches name, organization and note."""
    rows = await db.execute(
        select(Connection, Attendee)
        .join(Attendee, Attendee.id == Connection.other_id)
        .where(
            Connection.event_id == event.id,
            Connection.owner_id == me.id,
            Connection.removed_at.is_(None),
        )
        .order_by(Connection.last_met_at.desc(), Connection.id.desc())
    )
    mutual = await _connected_with(db, event, me)
    wanted, wanted_tag = normalize_term(q), normalize_term(tag)
    found = []
    for connection, other in rows:
        if wanted and wanted not in normalize_term(
            f"{other.name} {other.organization} {connection.note}"
        ):
            continue
        if wanted_tag and wanted_tag not in {normalize_term(t) for t in connection.tags}:
            continue
        found.append(
            ConnectionOut(
                id=connection.id,
                attendee=other.id,
                card=shared_card(other),
                note=connection.note,
                note_revision=connection.note_revision,
                tags=connection.tags,
                first_met_at=connection.first_met_at,
                last_met_at=connection.last_met_at,
                scan_count=connection.scan_count,
                mutual=other.id in mutual,
            )
        )
    return found


async def _connected_with(db: AsyncSession, event: Event, me: Attendee) -> set[int]:
    """Attendees who keep a connection to me."""
    return set(
        await db.scalars(
            select(Connection.owner_id).where(
                Connection.event_id == event.id,
                Connection.other_id == me.id,
                Connection.removed_at.is_(None),
            )
        )
    )


async def connected_with_me(
    db: AsyncSession, event: Event, me: Attendee
) -> list[ConnectedWithMeOut]:
    """Who connected with me: their card only (their note and tags are theirs)."""
    rows = await db.execute(
        select(Connection.first_met_at, Attendee)
        .join(Attendee, Attendee.id == Connection.owner_id)
        .where(
            Connection.event_id == event.id,
            Connection.other_id == me.id,
            Connection.removed_at.is_(None),
        )
        .order_by(Connection.first_met_at.desc(), Connection.id.desc())
    )
    mine = set(
        await db.scalars(
            select(Connection.other_id).where(
                Connection.event_id == event.id,
                Connection.owner_id == me.id,
                Connection.removed_at.is_(None),
            )
        )
    )
    return [
        ConnectedWithMeOut(
            attendee=other.id,
            card=shared_card(other),
            first_met_at=first_met_at,
            mutual=other.id in mine,
        )
        for first_met_at, other in rows
    ]
