"""The sync engine: applies the phone's offline writes exactly once, whatever their domain.

Exactly once: each operation runs in its own savepoint and, in that savepoint, first inserts
its id into `sync_operations` (unique per account), then applies its effect. A unique violation
rolls the savepoint back and means the operation was already applied: the stored result is
answered as `duplicate` (or `conflict_payload` when the same id came with a different payload).
Ids already committed are found with one query per group so replays skip the savepoints; that
read only speeds replays up, the insert stays the arbiter. Operation ids are per account;
replies carry each id as the phone wrote it. On PostgreSQL one account's batches take a
transaction-level advisory lock, so two devices (or a retry racing the first attempt) cannot
deadlock on each other's rows and the state read at the start of a batch is the state it
writes to; SQLite's `BEGIN IMMEDIATE` serializes writers already.

Domains give their operation kinds as `Kinds` (wired in `api/app.py`): the operation structs,
their result structs, their writes, and a per-group `KindBatch` that reads up front what its
operations name, plans each operation (its result and its write) and builds the replies. Who
takes part: an account acts in an event through its attendee record there (matched on e-mail)
and, for kinds staff send (`for_staff`), its staff role; a domain admits whom it serves
(`admits`), others get `not_in_event`, the same answer as an unknown event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection as DbConnection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from api.auth.service import hash_secret
from api.errors import Conflict, DomainError, NotSignedIn
from api.models import Account, Attendee, Event, EventRole, LoginSession, SyncOperation, utcnow
from api.sync.contract import (
    Operation,
    OperationResult,
    Plan,
    Reader,
    UnreadableResult,
    rejected,
    replay,
)
from api.sync.statements import Statements, Write

# pg_advisory_xact_lock(space, account id): one account's batches run one at a time.
SYNC_LOCK_SPACE = 0x53594E43  # "SYNC"


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
    """Who the account is in one event: its attendee record there (if registered), and
    whether it is staff (check-in staff or organizer)."""

    event_id: int
    attendee_id: int | None
    staff: bool = False


# One operation's outcome before it is presented: (operation, stored result or reply, replayed,
# id as sent). The reply carries the id as the phone wrote it (its outbox looks it up by it).
Answer = tuple[Operation | None, OperationResult | dict[str, Any], bool, str]
# An operation as received: (operation, payload hash, id as sent), or its `invalid` answer.
Parsed = tuple[Operation, str, str] | OperationResult


class KindBatch(Protocol):
    """A domain's part of one group: what its operations need, read once, kept up to date."""

    def load(
        self, pending: Sequence[tuple[Member, Operation]], recorded: Sequence[dict[str, Any]]
    ) -> None:
        """Read what the new operations name, and what replays of `recorded` results show."""

    def plan(self, op: Operation, me: Member, signer: Signer) -> Plan:
        """The result of `op` and the write that makes it so."""

    def prepare(self, answers: Sequence[Answer]) -> None:
        """Read what the replies need that `load` did not (before `reply`)."""

    def reply(
        self, op: Operation, result: dict[str, Any], common: dict[str, Any]
    ) -> OperationResult:
        """The answer the phone gets: `common` fields plus what this kind shows."""


class Kinds(Protocol):
    """The operation kinds a domain owns."""

    operations: Sequence[type[Operation]]
    results: Mapping[str, type[OperationResult]]  # the kind's tag -> its result struct
    for_staff: bool  # whether staff send these kinds too (their roles are then read)

    def writes(self, dialect: Dialect) -> Mapping[str, Write]: ...

    def admits(self, member: Member) -> bool:
        """Whether this member may send these kinds at all (else `not_in_event`)."""

    def check(self, op: Operation) -> tuple[str, str] | None:
        """A problem with an operation that its struct cannot express: (field, detail)."""

    def batch(self, group: Group) -> KindBatch: ...


def _in(name: str) -> BindParameter[Any]:
    # Expanding parameters are bound when the statement runs; an `in_()` over a literal list
    # costs ~0.1 ms to build and to compile every time.
    return bindparam(name, expanding=True)


SIGNED_IN = (
    select(LoginSession.token_hash, Account.id, Account.email, Account.language)
    .join(Account, Account.id == LoginSession.account_id)
    .where(LoginSession.token_hash.in_(_in("hashes")), LoginSession.expires_at > bindparam("now"))
)
RECORDED = select(
    SyncOperation.account_id,
    SyncOperation.op_id,
    SyncOperation.kind,
    SyncOperation.payload_hash,
    SyncOperation.result,
).where(SyncOperation.account_id.in_(_in("accounts")), SyncOperation.op_id.in_(_in("op_ids")))
MEMBERS = (
    select(Attendee.email, Event.slug, Event.id, Attendee.id)
    .join(Event, Event.id == Attendee.event_id)
    .where(Event.slug.in_(_in("slugs")), Attendee.email.in_(_in("emails")))
)
STAFF = (
    select(EventRole.account_id, Event.slug, Event.id)
    .join(Event, Event.id == EventRole.event_id)
    .where(Event.slug.in_(_in("slugs")), EventRole.account_id.in_(_in("accounts")))
)


class SyncEngine:
    """The registered kinds, and how to read and write their operations."""

    def __init__(self, domains: Sequence[Kinds]) -> None:
        self.domains = list(domains)
        # Looked up per operation by its struct's type: cheaper than reading its tag each time.
        self.tag_of: dict[type[Operation], str] = {}
        self.domain_index: dict[type[Operation], int] = {}
        self.admits: dict[type[Operation], Callable[[Member], bool]] = {}
        # Kinds staff may send: only then are staff roles read.
        self.staff_kinds: dict[type[Operation], bool] = {}
        for index, domain in enumerate(self.domains):
            for kind in domain.operations:
                tag = str(kind.__struct_config__.tag)
                if tag in self.tag_of.values():
                    raise ValueError(f"Two domains register the operation kind {tag!r}")
                self.tag_of[kind] = tag
                self.domain_index[kind] = index
                self.admits[kind] = domain.admits
                self.staff_kinds[kind] = domain.for_staff
        operations = list(self.tag_of)
        self.reader = Reader(operations)
        for domain in self.domains:
            self.reader.results.update(domain.results)
            self.reader.checks.append(domain.check)
        self._statements: dict[tuple[str, str], Statements] = {}

    @property
    def operation_types(self) -> list[type[Operation]]:
        return list(self.reader.kinds.values())

    @property
    def result_types(self) -> list[type[OperationResult]]:
        return [*self.reader.results.values(), UnreadableResult]

    def statements(self, dialect: Dialect) -> Statements:
        key = (dialect.name, dialect.driver)
        if key not in self._statements:
            self._statements[key] = Statements(dialect, [d.writes for d in self.domains])
        return self._statements[key]

    def apply_batches(
        self,
        db: Session,
        batches: Sequence[tuple[Signer, Sequence[dict[str, Any]]]],
        now: datetime | None = None,
    ) -> list[list[OperationResult] | Exception]:
        """Apply batches (one per request) in the caller's transaction, each operation once, in
        its own savepoint; a batch that fails unexpectedly answers its exception, the others
        go on."""
        group = Group(self, db, now or utcnow())
        parsed = [(signer, [self.reader.read(raw) for raw in ops]) for signer, ops in batches]
        if group.conn.dialect.name == "postgresql":
            for account_id in sorted({signer.id for signer, _ in batches}):
                group.conn.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK_SPACE, account_id)))
        group.load(parsed)
        outcomes: list[list[Answer] | Exception] = []
        for signer, items in parsed:
            try:
                outcomes.append(group.run(signer, items))
            except Exception as exc:  # what it applied stands; its client's replay answers it
                outcomes.append(exc)
        replies = iter(group.present([o for o in outcomes if not isinstance(o, Exception)]))
        return [o if isinstance(o, Exception) else next(replies) for o in outcomes]

    def apply_operations(
        self,
        db: Session,
        account: Account,
        operations: Sequence[dict[str, Any]],
        now: datetime | None = None,
    ) -> list[OperationResult]:
        """Apply one account's batch in the caller's transaction (see `apply_batches`)."""
        [outcome] = self.apply_batches(db, [(Signer.of(account), operations)], now)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def sync_for_cookies(
        self, db: Session, requests: Sequence[SyncRequest]
    ) -> list[list[OperationResult] | Exception]:
        """Apply each request's batch for whoever its session cookie signs in."""
        accounts = accounts_for_cookies(db, [r.cookie for r in requests if r.cookie])
        signers = [_signer_for(request, accounts) for request in requests]
        signed = [
            (signer, request.operations)
            for signer, request in zip(signers, requests, strict=True)
            if isinstance(signer, Signer)
        ]
        applied = iter(self.apply_batches(db, signed) if signed else [])
        return [s if isinstance(s, DomainError) else next(applied) for s in signers]


class Group:
    """Batches of one or more accounts in one transaction: what they name is read up front in a
    few queries, then each operation is recorded and applied in its own savepoint."""

    def __init__(self, engine: SyncEngine, db: Session, now: datetime) -> None:
        self.engine = engine
        self.db = db
        self.conn = db.connection()
        self.now = now
        self.sql = engine.statements(self.conn.dialect)
        # The sqlite3 cursor when the writes can go to it directly (see Prepared).
        self.cursor: Any = None
        if self.sql.prepared:
            self.cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.recorded: dict[tuple[int, str], tuple[str, str, dict[str, Any]]] = {}
        self.members: dict[tuple[int, str], Member] = {}  # (account, event slug)
        self.parts = [domain.batch(self) for domain in engine.domains]

    def part(self, op: Operation) -> KindBatch:
        return self.parts[self.engine.domain_index[type(op)]]

    def at(self, op: Operation) -> datetime:
        """When `op` happened; a phone clock ahead of ours cannot date anything in the future."""
        return min(op.at, self.now)

    def load(self, batches: Sequence[tuple[Signer, Sequence[Parsed]]]) -> None:
        """Read the recorded ids and memberships, then what each domain's operations name."""
        operations = [
            (signer, item[0])
            for signer, items in batches
            for item in items
            if not isinstance(item, OperationResult)
        ]
        if not operations:
            return
        rows = self.conn.execute(
            RECORDED,
            {
                "accounts": list({signer.id for signer, _ in operations}),
                "op_ids": list({str(op.id) for _, op in operations}),
            },
        )
        self.recorded = {
            (account, op): (kind, digest, result) for account, op, kind, digest, result in rows
        }
        fresh = [(s, op) for s, op in operations if (s.id, str(op.id)) not in self.recorded]
        if fresh:
            self._load_members(fresh)
        index_of = self.engine.domain_index
        for index, domain in enumerate(self.engine.domains):
            tags = {self.engine.tag_of[kind] for kind in domain.operations}
            pending = [
                (member, op)
                for signer, op in fresh
                if index_of[type(op)] == index
                if (member := self.member(signer, op)) is not None
            ]
            recorded = [result for kind, _, result in self.recorded.values() if kind in tags]
            if pending or recorded:
                self.parts[index].load(pending, recorded)

    def _load_members(self, fresh: Sequence[tuple[Signer, Operation]]) -> None:
        """Who each signer is in the events its operations name: attendee record, staff role."""
        slugs = list({op.event for _, op in fresh})
        by_email = {signer.email: signer.id for signer, _ in fresh}
        found = self.conn.execute(MEMBERS, {"slugs": slugs, "emails": list(by_email)})
        attending = {(by_email[e], slug): (event, me) for e, slug, event, me in found}
        staffing: dict[tuple[int, str], int] = {}
        if any(self.engine.staff_kinds.get(type(op)) for _, op in fresh):
            rows = self.conn.execute(STAFF, {"slugs": slugs, "accounts": list(by_email.values())})
            staffing = {(account, slug): event for account, slug, event in rows}
        for key in attending.keys() | staffing.keys():
            event, me = attending.get(key, (staffing.get(key), None))
            assert event is not None
            self.members[key] = Member(event, me, key in staffing)

    def member(self, signer: Signer, op: Operation) -> Member | None:
        """The signer in the operation's event, if the operation's domain admits them."""
        member = self.members.get((signer.id, op.event))
        if member is None or not self.engine.admits[type(op)](member):
            return None
        return member

    def run(self, signer: Signer, items: Sequence[Parsed]) -> list[Answer]:
        """Apply one account's batch in order; answers in the same order."""
        answers: list[Answer] = []
        for item in items:
            if isinstance(item, OperationResult):
                answers.append((None, item, False, item.id))
                continue
            op, digest, sent = item
            stored = self.recorded.get((signer.id, str(op.id)))
            result, replayed = (
                replay(stored[1:], digest) if stored else self.apply(signer, op, digest)
            )
            answers.append((op, result, replayed, sent))
        return answers

    def apply(self, signer: Signer, op: Operation, digest: str) -> tuple[dict[str, Any], bool]:
        """Record and apply one operation in its own savepoint; (result, replayed)."""
        member = self.member(signer, op)
        plan = (
            Plan(rejected("not_in_event"))
            if member is None
            else self.part(op).plan(op, member, signer)
        )
        op_id = str(op.id)
        record = {
            "account_id": signer.id,
            "op_id": op_id,
            "kind": self.engine.tag_of[type(op)],
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
            stored = recorded_operations(self.conn, signer.id, [op_id]).get(op_id)
            if stored is None:
                raise
            return replay(stored, digest)
        # Only now, with the savepoint released, does this group's picture of the data change.
        if plan.after is not None:
            plan.after(row)
        return plan.result, False

    def _write(self, name: str, params: dict[str, Any]) -> Any:
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

    def present(self, batches: Sequence[list[Answer]]) -> list[list[OperationResult]]:
        """The replies: stored results, with what each kind shows as of now."""
        index_of = self.engine.domain_index
        for index, part in enumerate(self.parts):
            mine = [
                answer
                for answers in batches
                for answer in answers
                if answer[0] is not None and index_of[type(answer[0])] == index
            ]
            if mine:
                part.prepare(mine)
        return [[self._reply(*answer) for answer in answers] for answers in batches]

    def _reply(
        self,
        op: Operation | None,
        result: OperationResult | dict[str, Any],
        replayed: bool,
        sent: str,
    ) -> OperationResult:
        if isinstance(result, OperationResult):
            return result
        assert op is not None
        common = {
            "id": sent,
            "status": result["status"],
            "reason": "duplicate" if replayed else result["reason"],
            "replayed": replayed,
            "original_reason": result["reason"] if replayed else None,
            "field": result.get("field"),
            "detail": result.get("detail"),
        }
        return self.part(op).reply(op, result, common)


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


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """One POST /api/sync: the session cookie that signs it, its operations, and the account
    the phone wrote the operations as."""

    cookie: str | None
    operations: Sequence[dict[str, Any]]
    author: str | None = None


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
