"""Input every route refuses alike, before a handler runs: what the databases cannot store (a NUL
character) and what a parser cannot read (JSON nested past Python's recursion limit), answered 4xx
with the field to fix rather than failing deep in a driver. An id beyond 32 bits names nothing:
in a body `RowId` refuses it; in a path each service answers it as unknown, with its own code
(`attendee_not_found`, `session_not_found`...), before it reaches a query."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request
from litestar.enums import ScopeType
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import BadInput

# Database ids are 32-bit on PostgreSQL: a larger one cannot name anything.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROW_ID)]

NUL_DETAIL = "Remove the NUL character (\\u0000 or %00) from {name}."
JSON_TYPES = ("application/json", "application/problem+json")
# A handler's `opt` key: it judges the NUL characters of its JSON body itself.
OWN_BODY_CHECKS = "own_body_checks"


def field_with_nul(raw: Any, top: str = "body") -> str | None:
    """The first top-level field of `raw` holding a NUL character anywhere (in a key or a value),
    `top` when `raw` itself is not an object or a key holds one."""

    def has_nul(value: Any) -> bool:
        if isinstance(value, str):
            return "\x00" in value
        if isinstance(value, dict):
            return any(has_nul(k) or has_nul(v) for k, v in value.items())
        if isinstance(value, list):
            return any(has_nul(item) for item in value)
        return False

    if not isinstance(raw, dict):
        return top if has_nul(raw) else None
    for name, value in raw.items():
        if has_nul(name):
            return top
        if has_nul(value):
            return str(name)
    return None


async def refuse_unstorable_input(request: Request[Any, Any, Any]) -> None:
    """Refuse a NUL character in the path, the query or a JSON body.

    Runs after routing (so the path's parameters are known) and before any handler or
    dependency; the outbox route is left to judge each operation on its own (api.sync).
    """
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise BadInput(NUL_DETAIL.format(name=name), field=name)
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise BadInput(NUL_DETAIL.format(name=name.replace("\x00", "")), field=name)
    if request.route_handler.opt.get(OWN_BODY_CHECKS):
        return
    if request.method in {"POST", "PUT", "PATCH"} and request.content_type[0] in JSON_TYPES:
        body = await request.body()  # kept by the request: the handler reads it again for free
        # JSON escapes a NUL as \u0000; a raw NUL byte is not JSON (the parser says so).
        if b"\\u0000" in body:
            try:
                found = field_with_nul(msgspec.json.decode(body))
            except msgspec.DecodeError:
                return  # the handler's parser names what is wrong with it
            if found is not None:
                raise BadInput(NUL_DETAIL.format(name=found), field=found)


class HostCheck:
    """Answer a request for a host this service does not serve with 400 and the usual error body
    (the framework's own check answers a body of another shape)."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed
        self.exact = {host.lower() for host in allowed if not host.startswith("*.")}
        self.suffixes = tuple(host[1:].lower() for host in allowed if host.startswith("*."))

    def allows(self, host: str) -> bool:
        """Whether the Host header, as sent (with its port, when any), is one of ours."""
        name = host.lower()
        if self.any_host:
            return True
        return name in self.exact or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            headers = dict(scope["headers"])
            host = headers.get(b"host", b"").decode("latin-1")
            if not self.allows(host):
                body = msgspec.json.encode(
                    {
                        "code": "invalid_host",
                        "detail": "This address is not served here; use the event's own address.",
                    }
                )
                await ASGIResponse(body=body, status_code=400, media_type=MediaType.JSON)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
