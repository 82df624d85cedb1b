"""The sync endpoint's request and reply, described from the kinds registered with the engine.

Operations arrive as plain objects and are read one at a time (see `api.sync.contract.Reader`),
so one malformed operation is answered `invalid` without failing the rest of its batch; the
OpenAPI schema still lists every kind, and every result is a union tagged by `kind`, so a
client can be generated from it.
"""

from typing import Annotated, Any, Union

import msgspec
from litestar.exceptions import ValidationException

from api.sync.engine import SyncEngine

MAX_OPERATIONS = 200
MAX_EMAIL_CHARS = 320
AUTHOR_SCHEMA = {"extra": {"type": ["string", "null"], "maxLength": MAX_EMAIL_CHARS}}


def _inline_schema(kind: type[msgspec.Struct]) -> dict[str, Any]:
    found = msgspec.json.schema(kind)
    name = found["$ref"].rsplit("/", 1)[-1]
    return dict(found["$defs"][name])


def author_of(account: Any) -> str | None:
    """The `account` a request names, or ValidationException naming the field."""
    if account is None or (isinstance(account, str) and len(account) <= MAX_EMAIL_CHARS):
        return account
    message = f"the e-mail the operations were written as: text of at most {MAX_EMAIL_CHARS}"
    raise ValidationException(f"account: {message}", extra=[{"key": "account", "message": message}])


def sync_schemas(engine: SyncEngine) -> tuple[type[msgspec.Struct], type[msgspec.Struct]]:
    """(SyncIn, SyncOut) for the engine's registered kinds."""
    # Litestar reads a field's OpenAPI description and extra keys from msgspec's Meta.
    kinds = {
        "description": "Oldest first; each is one of the registered kinds (`kind`), with a UUID"
        " made on the phone (`id`), the event's slug and when it happened (ISO time with zone).",
        "extra": {"items": {"oneOf": [_inline_schema(kind) for kind in engine.operation_types]}},
    }
    sync_in = msgspec.defstruct(
        "SyncIn",
        [
            (
                "operations",
                Annotated[
                    list[dict[str, Any]],
                    msgspec.Meta(max_length=MAX_OPERATIONS, extra_json_schema=kinds),
                ],
            ),
            # The e-mail of the account the phone wrote these operations as: when the session
            # cookie signs in someone else, the whole request is refused (409 account_mismatch).
            # Checked by the route (`author_of`): Litestar answers a body field that fails
            # validation under the name of a dependency (`account`) with a 500.
            ("account", Annotated[Any, msgspec.Meta(extra_json_schema=AUTHOR_SCHEMA)], None),
        ],
        forbid_unknown_fields=True,
        module=__name__,
    )
    results: Any = Union[tuple(engine.result_types)]  # noqa: UP007 (built at run time)
    sync_out = msgspec.defstruct("SyncOut", [("results", list[results])], module=__name__)
    return sync_in, sync_out
