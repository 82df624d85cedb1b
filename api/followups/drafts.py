"""The drafted thank-you for one person, pure: subject and body in the recipient's language.

The attendee edits and sends it from their own mail app; Enlace never sends mail in their name.
It refers to the most personal thing known about the meeting: the writer's private note (its
first sentence), else an interest both share, else the writer's need met by the other's offer
(or the reverse), else the event itself. Only what the recipient shares is used: a draft must
not quote back a field they kept to themselves, nor address an e-mail they did not give.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from api.i18n import LANGUAGES, translate
from api.vocabulary import normalize_term

# A note's excerpt: its first sentence, cut at a word if longer than this.
EXCERPT_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s|\n")


@dataclass(frozen=True, slots=True)
class Writer:
    name: str
    language: str
    interests: Sequence[str] = ()
    looking_for: Sequence[str] = ()
    can_help_with: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Recipient:
    """The other person as the writer may see them: only the fields they share are given."""

    name: str
    language: str = ""  # "" when unknown
    email: str | None = None
    interests: Sequence[str] = ()
    looking_for: Sequence[str] = ()
    can_help_with: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    language: str
    subject: str
    body: str
    to: str | None


def draft_language(recipient_language: str, writer_language: str) -> str:
    """The recipient's language when known, else the writer's."""
    if recipient_language in LANGUAGES:
        return recipient_language
    return writer_language if writer_language in LANGUAGES else LANGUAGES[0]


def note_excerpt(note: str) -> str:
    """The note's first sentence, at most EXCERPT_CHARS (cut at a word, with an ellipsis)."""
    text = note.strip()
    if not text:
        return ""
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    first = " ".join(first.split())
    if len(first) <= EXCERPT_CHARS:
        return first.rstrip(".!?。！？")
    cut = first[:EXCERPT_CHARS].rsplit(" ", 1)[0] or first[:EXCERPT_CHARS]
    return cut.rstrip(",;:") + "…"


def _common(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Their terms that are also mine (compared without case or accents), their spelling."""
    wanted = {normalize_term(term) for term in mine}
    return [term for term in theirs if normalize_term(term) in wanted]


def _joined(language: str, terms: list[str]) -> str:
    terms = terms[:2]
    if len(terms) < 2:
        return "".join(terms)
    return translate(language, "followups.draft.and", first=terms[0], second=terms[1])


def reference(note: str, writer: Writer, recipient: Recipient) -> tuple[str, list[str]]:
    """What the draft refers to: (kind, the words it names); kinds are note, interest,
    need_offer (their offer meets my need), offer_need (my offer meets their need), event."""
    excerpt = note_excerpt(note)
    if excerpt:
        return "note", [excerpt]
    for kind, mine, theirs in (
        ("interest", writer.interests, recipient.interests),
        ("need_offer", writer.looking_for, recipient.can_help_with),
        ("offer_need", writer.can_help_with, recipient.looking_for),
    ):
        found = _common(mine, theirs)
        if found:
            return kind, found
    return "event", []


def thank_you(note: str, writer: Writer, recipient: Recipient, event_name: str) -> Draft:
    """The thank-you to `recipient`, signed by the writer, ready to edit."""
    language = draft_language(recipient.language, writer.language)
    kind, words = reference(note, writer, recipient)

    def text(key: str, **values: str) -> str:
        return translate(language, f"followups.draft.{key}", **values)

    note_words = words[0] if words else ""
    said = text(kind, event=event_name, note=note_words, terms=_joined(language, words))
    body = "\n\n".join(
        [
            text("greeting", name=recipient.name),
            text("thanks", event=event_name) + " " + said,
            text("closing"),
            writer.name,
        ]
    )
    return Draft(language, text("subject", event=event_name), body + "\n", recipient.email or None)
