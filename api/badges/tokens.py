"""Badge tokens: random, Crockford base32, typeable by hand, and the badge URL a QR carries."""

from __future__ import annotations

import re
import secrets

# Crockford's base32: digits and upper-case letters without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_LENGTH = 28  # 140 random bits, shown as seven groups of four
_TYPED_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_BADGE_PATH = re.compile(r"/B/([0-9A-Z\-]+)/?$")


def new_token() -> str:
    """A fresh badge token: 140 bits from `secrets`, in Crockford base32."""
    value = secrets.randbits(5 * TOKEN_LENGTH)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(TOKEN_LENGTH)))


def display_code(token: str) -> str:
    """The token as printed under the QR: groups of four, easy to read out and type."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


def normalize_token(typed: str) -> str | None:
    """The token in `typed` (any case, with spaces or dashes, O for 0 and I or L for 1)."""
    candidate = _SEPARATORS.sub("", typed.strip().upper()).translate(_TYPED_ALIASES)
    if len(candidate) != TOKEN_LENGTH or any(c not in ALPHABET for c in candidate):
        return None
    return candidate


def token_from_scan(text: str) -> str | None:
    """The token in what a scanner read: a badge URL (any host) or the bare code."""
    text = text.strip()
    if "/" in text:
        found = _BADGE_PATH.search(text.upper().split("?", 1)[0].split("#", 1)[0])
        return normalize_token(found.group(1)) if found else None
    return normalize_token(text)


def badge_url(base_url: str, token: str) -> str:
    """`BASE_URL/B/TOKEN` in upper case, so the QR can use the compact alphanumeric mode."""
    return f"{base_url.rstrip('/')}/B/{token}".upper()
