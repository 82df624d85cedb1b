"""Normalizing free-text terms (interests, needs, offers) so Spanish and English spellings meet."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s_\-./]+")


@lru_cache(maxsize=65_536)  # the same few hundred terms come back on every scan
def normalize_term(text: str) -> str:
    """Case-folded, accent-free, single-spaced form used to compare terms."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()


def slugify(text: str) -> str:
    """A lower-case ASCII key made from a label."""
    return normalize_term(text).encode("ascii", "ignore").decode().replace(" ", "-")[:80]
