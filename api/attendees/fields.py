"""Rules for an attendee's fields, shared by the import and the profile editor.

Every text goes through clean_text: Unicode NFC; bidi controls (U+202A-U+202E, U+2066-U+2069,
U+200E, U+200F, U+061C), invisible characters (U+200B, U+2060-U+2064, U+FEFF, U+00AD, U+180E) and
C0/C1 control characters are removed, because they make a name display as something other than
what it contains and break search and e-mail matching. ZWNJ and ZWJ (U+200C, U+200D) are kept:
emoji sequences such as 👩‍💻 and words in Persian and Indic scripts need them. Runs of whitespace
become one space, except in bio, where line breaks survive.
"""

from __future__ import annotations

import re
import unicodedata

from api.vocabulary import normalize_term

# Fields that hold a list of short terms (or links) rather than one text.
LIST_FIELDS = ("interests", "looking_for", "can_help_with", "links")
# Name and organization are always visible to someone who scans the badge; these are opt-in.
SHAREABLE = ("role", "interests", "looking_for", "can_help_with", "email", "phone", "links", "bio")
# Fields the attendee owns once they have edited their profile: a later import stops
# overwriting them (the ticketing export keeps owning the rest).
OWNED_AFTER_EDIT = ("phone", "interests", "looking_for", "can_help_with", "links", "bio")

_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(value: str, *, keep_newlines: bool = False) -> tuple[str, bool]:
    """Strip invisible and control characters, apply NFC, tidy whitespace; report any stripping."""
    if value.isascii() and value.isprintable():
        return " ".join(value.split()), False
    # Strip before NFC, so a mark separated from its letter by an invisible character composes.
    text, removed = _INVISIBLE.subn("", value)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if keep_newlines:
        lines = "\n".join(" ".join(line.split()) for line in text.splitlines())
        text = _BLANK_LINES.sub("\n\n", lines).strip()
    else:
        text = " ".join(text.split())
    return text, removed > 0


def clean_terms(values: list[str]) -> list[str]:
    """Cleaned terms without blanks, keeping the first spelling of terms that compare equal."""
    seen: dict[str, str] = {}
    for value in values:
        cleaned = clean_text(value)[0]
        if cleaned:
            seen.setdefault(normalize_term(cleaned), cleaned)
    return list(seen.values())


def shared_choice(fields: list[str]) -> list[str]:
    """The shareable fields among `fields`, in their canonical order."""
    return [field for field in SHAREABLE if field in fields]
