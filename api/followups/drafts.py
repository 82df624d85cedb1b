"""The drafted thank-you for one person, pure: subject and body in the recipient's language.

The attendee edits and sends it from their own mail app; Enlace never sends mail in their name.
It refers to what the two have in common: an interest both share, else the writer's need met
by the other's offer (or the reverse), else the event itself. The writer's private note is never
put in it: a note is written for oneself ("seemed unsure about...") and a draft sent in a hurry
would hand it to the very person it is about; the screen shows the note beside the draft for the
writer to draw on. Only what the recipient shares is used: a draft must not quote back a field
they kept to themselves, nor address an e-mail they did not give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from api.followups.schemas import DraftOut
from api.i18n import LANGUAGES, translate
from api.vocabulary import normalize_term


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


def draft_language(recipient_language: str, writer_language: str) -> str:
    """The recipient's language when known, else the writer's."""
    if recipient_language in LANGUAGES:
        return recipient_language
    return writer_language if writer_language in LANGUAGES else LANGUAGES[0]


# A digest drafts for every connection of an event (200,000 for 10,000 people): the same terms,
# and the same few sentences, come back again and again.
_normal = lru_cache(maxsize=65_536)(normalize_term)


@lru_cache(maxsize=65_536)
def _normal_set(terms: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_normal(term) for term in terms)


@lru_cache(maxsize=4096)
def _sentence(language: str, key: str, event: str) -> str:
    return translate(language, f"followups.draft.{key}", event=event)


@lru_cache(maxsize=65_536)
def _greeting(language: str, name: str) -> str:
    return translate(language, "followups.draft.greeting", name=name)


def _common(mine: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Their terms that are also mine (compared without case or accents), their spelling."""
    if not mine or not theirs:
        return []
    wanted = _normal_set(tuple(mine))
    return [term for term in theirs if _normal(term) in wanted]


def _joined(language: str, terms: list[str]) -> str:
    terms = terms[:2]
    if len(terms) < 2:
        return "".join(terms)
    return translate(language, "followups.draft.and", first=terms[0], second=terms[1])


def reference(writer: Writer, recipient: Recipient) -> tuple[str, list[str]]:
    """What the draft refers to: (kind, the words it names); kinds are interest, need_offer
    (their offer meets my need), offer_need (my offer meets their need), event."""
    for kind, mine, theirs in (
        ("interest", writer.interests, recipient.interests),
        ("need_offer", writer.looking_for, recipient.can_help_with),
        ("offer_need", writer.can_help_with, recipient.looking_for),
    ):
        found = _common(mine, theirs)
        if found:
            return kind, found
    return "event", []


@lru_cache(maxsize=256)
def _frame(language: str, event_name: str) -> tuple[str, str, str, str]:
    """The sentences every draft of an event in a language shares: subject, thanks, closing,
    and the reference to the event itself."""
    return (
        _sentence(language, "subject", event_name),
        _sentence(language, "thanks", event_name),
        _sentence(language, "closing", event_name),
        _sentence(language, "event", event_name),
    )


def thank_you(writer: Writer, recipient: Recipient, event_name: str) -> DraftOut:
    """The thank-you to `recipient`, signed by the writer, ready to edit."""
    language = draft_language(recipient.language, writer.language)
    subject, thanks, closing, met_there = _frame(language, event_name)
    kind, words = reference(writer, recipient)
    if kind == "event":
        said = met_there
    else:
        said = translate(language, f"followups.draft.{kind}", terms=_joined(language, words))
    greeting = _greeting(language, recipient.name)
    body = f"{greeting}\n\n{thanks} {said}\n\n{closing}\n\n{writer.name}\n"
    return DraftOut(language, subject, body, recipient.email or None)
