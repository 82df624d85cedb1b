"""The operation contract every offline write follows, whatever its domain.

An operation is a plain object the phone made: a client UUID (`id`, made when the write was
made), its `kind`, the event's slug and when it happened. The server answers each with a result
carrying a stable `reason`: applied, rejected, or a replay of an earlier answer (`duplicate`,
`replayed: true`, `original_reason`). The same id with a different payload (its SHA-256, id left
out) is refused as `conflict_payload` and the stored operation stands.

Each reason code is defined once: the engine's own here (`REASONS`), a domain's with its kinds
(connections use the badge outcomes of `api.badges.outcome`, the same codes the card view of a
scanned badge answers), so one outcome has one code everywhere.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from api.input import field_with_nul

MAX_OPERATION_BYTES = 32_000

Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# When it happened on the phone; a time zone is required so phones in any zone agree.
PhoneTime = Annotated[datetime, msgspec.Meta(tz=True)]

# Why the engine refused an operation, for the person who sees it in "could not sync".
REASONS = {
    "not_in_event": "No such event, or you are not an attendee of it.",
    "conflict_payload": "This operation id was already used for a different operation.",
}


class Operation(msgspec.Struct, tag_field="kind", kw_only=True):
    """One offline write; `id` is the client's UUID, made when the write was made."""

    id: uuid.UUID
    event: Slug
    at: PhoneTime


class OperationResult(msgspec.Struct, tag_field="kind", omit_defaults=True, kw_only=True):
    """The final answer for one operation; `reason` is a stable code (see `REASONS`), `kind`
    the operation's kind (each kind's result adds what the phone shows)."""

    id: str
    status: Literal["applied", "rejected"]
    reason: str
    replayed: bool = False
    original_reason: str | None = None
    field: str | None = None
    detail: str | None = None


class UnreadableResult(OperationResult, tag="unreadable", kw_only=True):
    """The answer to an object that is not an operation of any known kind."""


def payload_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of the operation's canonical JSON (keys sorted, no spaces), its id left out."""
    payload = {key: value for key, value in raw.items() if key != "id"}
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


def applied(reason: str, **values: Any) -> dict[str, Any]:
    """A stored result of an applied operation; `values` are what its kind needs to reply."""
    return {"status": "applied", "reason": reason, **values}


def rejected(reason: str, detail: str | None = None) -> dict[str, Any]:
    """A stored result of a refused operation, with the detail a person reads (the engine's
    own reasons know theirs)."""
    return {"status": "rejected", "reason": reason, "detail": detail or REASONS[reason]}


def invalid(field_name: str, detail: str) -> dict[str, Any]:
    """A stored result of an operation that cannot be applied as sent, naming the field."""
    return {"status": "rejected", "reason": "invalid", "field": field_name, "detail": detail}


@dataclass(slots=True)
class Plan:
    """What one operation will do: its recorded result, and the write (if any) to run."""

    result: dict[str, Any]
    write: str | None = None  # a statement's name, as its kind registered it
    params: dict[str, Any] = field(default_factory=dict)
    # Called with the write's returned row once the savepoint is released.
    after: Callable[[Sequence[Any] | None], None] | None = None


def replay(stored: tuple[str, dict[str, Any]], digest: str) -> tuple[dict[str, Any], bool]:
    """The stored result of an operation seen before (result, replayed)."""
    stored_hash, result = stored
    if stored_hash != digest:
        # The same id with another payload: refused, and the stored operation stands.
        return rejected("conflict_payload"), False
    return result, True


_FIELD_AT = re.compile(r"at `\$\.([A-Za-z_]+)")
_FIELD_MISSING = re.compile(r"required field `([A-Za-z_]+)`")


class Reader:
    """Turns plain objects into operations of the registered kinds, one at a time, so a
    malformed operation is answered `invalid` without failing the rest of its batch."""

    def __init__(self, kinds: Sequence[type[Operation]]) -> None:
        self.kinds = {str(kind.__struct_config__.tag): kind for kind in kinds}
        self.results: dict[str, type[OperationResult]] = {}
        self.union: Any = kinds[0]
        for kind in kinds[1:]:
            self.union = self.union | kind
        self.checks: list[Callable[[Operation], tuple[str, str] | None]] = []

    def read(self, raw: dict[str, Any]) -> tuple[Operation, str, str] | OperationResult:
        """(operation, payload hash, id as sent), or its `invalid` answer."""
        raw_id = raw.get("id")
        op_id = raw_id if isinstance(raw_id, str) else ""
        encoded = msgspec.json.encode(raw)
        if len(encoded) > MAX_OPERATION_BYTES:
            return self._invalid(raw, op_id, "operation", "This operation is too large.")
        # PostgreSQL cannot store a NUL character, and no field of an operation needs one.
        if b"\\u0000" in encoded and (field_name := field_with_nul(raw, "operation")) is not None:
            return self._invalid(raw, op_id, field_name, "Remove the NUL character (\\u0000).")
        try:
            operation: Operation = msgspec.convert(raw, self.union)
        except msgspec.ValidationError as exc:
            message = str(exc)
            found = _FIELD_AT.search(message) or _FIELD_MISSING.search(message)
            return self._invalid(raw, op_id, found.group(1) if found else "operation", message)
        for check in self.checks:
            problem = check(operation)
            if problem is not None:
                return self._invalid(raw, str(operation.id), *problem)
        return operation, payload_hash(raw), str(raw["id"])

    def _invalid(self, raw: dict[str, Any], op_id: str, name: str, detail: str) -> OperationResult:
        kind = raw.get("kind")
        result = self.results.get(kind, UnreadableResult) if isinstance(kind, str) else None
        return (result or UnreadableResult)(id=op_id, **invalid(name, detail))
