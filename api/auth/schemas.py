"""Sign-in payloads."""

from __future__ import annotations

from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
Language = Annotated[str, msgspec.Meta(pattern="^(es|en)$")]
# A same-site path only: no "//host", no backslashes, no spaces or control characters.
NextPath = Annotated[str, msgspec.Meta(max_length=200, pattern="^/(?![/\\\\])[\\x21-\\x7e]*$")]


class SigninRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    language: Language | None = None
    next: NextPath | None = None


class SigninLinkVerify(msgspec.Struct, forbid_unknown_fields=True):
    # No minimum: a link cut short in a mail client is answered like any link that no longer
    # works (`invalid_link`: ask for a new one), not as a field error about lengths.
    token: Annotated[str, msgspec.Meta(max_length=200)]


class SigninCodeVerify(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    code: Annotated[str, msgspec.Meta(min_length=4, max_length=20)]


class SigninSent(msgspec.Struct):
    code: str = "sent"


class SignedIn(msgspec.Struct):
    email: str
    language: str
    next: str
