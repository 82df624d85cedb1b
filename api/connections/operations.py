"""Connections' operation kinds for the sync engine: scan, note, tags, remove, connect back.

A connection is directional and unique per (event, owner, other), written with an upsert, so two
first scans of one person always end as one connection with both scans counted; a second scan
merges (first and last met, scan count, notes kept). A group keeps its picture of the
connections it names up to date as it writes (exact, since one account's writes never run
concurrently), so the replies need no more reads.

Reason codes (with the engine's, `api.sync.contract.REASONS`):
  applied:  created, merged (scan or connect back of someone already connected), updated (note or
            tags), merged_conflict (a note edited from an old revision: both texts kept), removed
  rejected: the badge outcomes (unknown_badge, revoked, self_scan, deleted_account), not_in_event,
            not_connected (a connect back to someone who has not connected with me),
            unknown_connection, invalid (with `field`)

Note merging: an edit whose base revision is the current one replaces the note. An older base
means another device edited meanwhile; nothing is dropped: the note becomes the current text, a
marked line naming when the other edit was made, then the incoming text (unless one text already
contains the other), and the owner merges by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from api.attendees.card import CARD_COLUMNS, card_of
from api.badges.outcome import BADGE_OUTCOMES, SeenBadge, badge_outcome
from api.badges.tokens import token_from_scan
from api.connections.schemas import (
    ConnectBackOp,
    ConnectBackResult,
    ConnectionResult,
    NoteOp,
    NoteResult,
    OnConnection,
    RemoveOp,
    RemoveResult,
    ScanOp,
    ScanResult,
    TagsOp,
    TagsResult,
)
from api.i18n import translate
from api.models import Attendee, Badge, Connection
from api.sync.contract import Operation, OperationResult, Plan, applied, invalid, rejected
from api.sync.engine import Answer, Group, Member, Signer
from api.sync.statements import Write
from api.vocabulary import normalize_term

REFUSALS = {
    **BADGE_OUTCOMES,
    "not_connected": "This person has not connected with you.",
    "unknown_connection": "No such connection of yours in this event.",
}
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


@dataclass(slots=True, frozen=True)
class Owner:
    """The attendee whose connections an operation writes."""

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


def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


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


def _upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(Connection) if dialect == "postgresql" else sqlite.insert(Connection)


RESULT_OF: Mapping[type[Operation], type[ConnectionResult]] = {
    ScanOp: ScanResult,
    NoteOp: NoteResult,
    TagsOp: TagsResult,
    RemoveOp: RemoveResult,
    ConnectBackOp: ConnectBackResult,
}
RESULTS = {str(op.__struct_config__.tag): result for op, result in RESULT_OF.items()}


class ConnectionKinds:
    """What connections give the sync engine."""

    operations: Sequence[type[Operation]] = (ScanOp, NoteOp, TagsOp, RemoveOp, ConnectBackOp)
    results: Mapping[str, type[OperationResult]] = RESULTS
    for_staff = False

    def admits(self, member: Member) -> bool:
        return member.attendee_id is not None

    def writes(self, dialect: Dialect) -> Mapping[str, Write]:
        table = Connection.__table__
        scan = _upsert(dialect.name)
        scan_write = scan.on_conflict_do_update(
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
        back_write = back.on_conflict_do_update(
            index_elements=[table.c.owner_id, table.c.other_id, table.c.event_id],
            set_={"removed_at": null(), "updated_at": back.excluded.updated_at},
        ).returning(table.c.id)
        mine = table.c.id == bindparam("connection_id")
        return {
            "scan": (scan_write, CONNECTION_COLUMNS),
            "connect_back": (back_write, CONNECTION_COLUMNS),
            "note": (
                update(Connection)
                .where(mine)
                .values(
                    note=bindparam("new_note"),
                    note_revision=bindparam("new_revision"),
                    updated_at=bindparam("now"),
                ),
                None,
            ),
            "tags": (
                update(Connection)
                .where(mine)
                .values(tags=bindparam("new_tags"), updated_at=bindparam("now")),
                None,
            ),
            "remove": (
                update(Connection)
                .where(mine)
                .values(removed_at=bindparam("removed"), updated_at=bindparam("now")),
                None,
            ),
        }

    def check(self, op: Operation) -> tuple[str, str] | None:
        if isinstance(op, OnConnection) and not (op.connection or op.scanned):
            return "connection", "Name the connection or the badge."
        return None

    def batch(self, group: Group) -> ConnectionBatch:
        return ConnectionBatch(group)


class ConnectionBatch:
    """Connections' part of one group: the badges and connections its operations name."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.tokens: dict[str, str | None] = {}
        self.badges: dict[str, SeenBadge] = {}
        self.links: dict[tuple[int, int], Link] = {}  # (owner, other)
        self.link_ids: dict[int, Link] = {}
        self.people: dict[int, Any] = {}  # rows of CARD_COLUMNS

    def load(
        self, pending: Sequence[tuple[Member, Operation]], recorded: Sequence[dict[str, Any]]
    ) -> None:
        conn = self.group.conn
        tokens = {
            token
            for _, op in pending
            if isinstance(op, ScanOp | OnConnection) and op.scanned is not None
            if (token := self._token(op.scanned)) is not None
        }
        if tokens:
            for row in conn.execute(BADGES, {"tokens": list(tokens)}):
                self.badges[row.token] = SeenBadge(row.event_id, row.id, bool(row.revoked_at))
                if row.id is not None:
                    self.people[row.id] = row
        owners = {member.attendee_id for member, _ in pending if member.attendee_id is not None}
        others = {b.attendee_id for b in self.badges.values() if b.attendee_id is not None}
        others |= {op.attendee for _, op in pending if isinstance(op, ConnectBackOp)}
        for result in recorded:
            if "owner" in result:
                owners.add(result["owner"])
                others.add(result["attendee"])
        ids = {op.connection for _, op in pending if isinstance(op, OnConnection) and op.connection}
        self._load_links(owners, others, ids)

    def _load_links(self, owners: set[int], others: set[int], ids: set[int]) -> None:
        if not (owners and others) and not ids:
            return
        found = self.group.conn.execute(
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

    def plan(self, op: Operation, member: Member, signer: Signer) -> Plan:
        assert member.attendee_id is not None  # admitted
        me = Owner(member.event_id, member.attendee_id)
        if isinstance(op, ScanOp):
            return self._scan(op, me)
        if isinstance(op, ConnectBackOp):
            return self._connect_back(op, me)
        assert isinstance(op, NoteOp | TagsOp | RemoveOp)
        return self._edit(op, me, signer.language)

    def _scan(self, op: ScanOp, me: Owner) -> Plan:
        token = self._token(op.scanned)
        badge = self.badges.get(token) if token else None
        outcome = badge_outcome(badge, me.event_id, me.attendee_id)
        if outcome is not None:
            return Plan(rejected(outcome, REFUSALS[outcome]))
        assert badge is not None and badge.attendee_id is not None
        other = badge.attendee_id
        at = self.group.at(op)
        link = self.links.get((me.attendee_id, other))
        reason = "merged" if link else "created"
        result = applied(reason, owner=me.attendee_id, attendee=other)

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
        self, me: Owner, other_id: int, first: datetime, scans: int, last: datetime | None = None
    ) -> dict[str, Any]:
        now = self.group.now
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
            "created_at": now,
            "updated_at": now,
            "removed_at": None,
        }

    def _connect_back(self, op: ConnectBackOp, me: Owner) -> Plan:
        theirs = self.links.get((op.attendee, me.attendee_id))
        if theirs is None or theirs.removed_at is not None:
            return Plan(rejected("not_connected", REFUSALS["not_connected"]))
        link = self.links.get((me.attendee_id, op.attendee))
        reason = "merged" if link else "created"
        result = applied(reason, owner=me.attendee_id, attendee=op.attendee)
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

    def _target(self, op: OnConnection, me: Owner) -> Link | None:
        if op.connection is not None:
            link = self.link_ids.get(op.connection)
            return link if link is not None and link.owner_id == me.attendee_id else None
        token = self._token(op.scanned or "")
        badge = self.badges.get(token) if token else None
        if badge is None or badge.attendee_id is None:
            return None
        return self.links.get((me.attendee_id, badge.attendee_id))

    def _edit(self, op: NoteOp | TagsOp | RemoveOp, me: Owner, language: str) -> Plan:
        link = self._target(op, me)
        if link is None:
            return Plan(rejected("unknown_connection", REFUSALS["unknown_connection"]))
        ids = {"owner": link.owner_id, "attendee": link.other_id, "connection": link.id}
        params: dict[str, Any] = {"connection_id": link.id, "now": self.group.now}
        if isinstance(op, TagsOp):
            tags = clean_tags(op.tags)

            def tagged(_: Sequence[Any] | None) -> None:
                link.tags = tags

            params["new_tags"] = tags
            return Plan(applied("updated", **ids), "tags", params, tagged)
        if isinstance(op, RemoveOp):
            removed = link.removed_at or self.group.at(op)

            def removed_now(_: Sequence[Any] | None) -> None:
                link.removed_at = removed

            params["removed"] = removed
            return Plan(applied("removed", **ids), "remove", params, removed_now)
        if op.base_revision > link.note_revision:
            detail = "base_revision is newer than the note; reload the connection."
            return Plan(invalid("base_revision", detail))
        if op.base_revision == link.note_revision:
            reason, text = "updated", op.text
        else:
            reason = "merged_conflict"
            text = merge_note(link.note, op.text, self.group.at(op), language)
        revision = link.note_revision + 1

        def noted(_: Sequence[Any] | None) -> None:
            link.note, link.note_revision = text, revision

        params |= {"new_note": text, "new_revision": revision}
        return Plan(applied(reason, **ids), "note", params, noted)

    def prepare(self, answers: Sequence[Answer]) -> None:
        named = [r for _, r, *_ in answers if isinstance(r, dict) and "owner" in r]
        # Only a duplicate met inside the group (not loaded up front) can be missing here.
        missing = {(r["owner"], r["attendee"]) for r in named} - set(self.links)
        if missing:
            self._load_links({p[0] for p in missing}, {p[1] for p in missing}, set())
        shown = {
            r["attendee"]
            for op, r, *_ in answers
            if isinstance(r, dict) and "owner" in r and isinstance(op, ScanOp | ConnectBackOp)
        }
        unknown = shown - set(self.people)
        if unknown:
            for person in self.group.conn.execute(CARDS, {"ids": list(unknown)}):
                self.people[person.id] = person

    def reply(
        self, op: Operation, result: dict[str, Any], common: dict[str, Any]
    ) -> ConnectionResult:
        reply = RESULT_OF[type(op)](**common)
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
                reply.card = card_of(person)
            back = self.links.get((other, owner))
            reply.mutual = back is not None and back.removed_at is None
        return reply
