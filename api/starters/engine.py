"""Conversation starters: deterministic, explainable, from what two people share.

Pure functions over plain data (no database, no HTTP). An `EventIndex` is built once per event
(vocabulary and how many people hold each term); `starters_for` then ranks signals for one pair
in microseconds:

1. the reader's "looking for" matches the other's "can help with" (and the reverse);
2. interests both hold, rarer ones first (weight log(N / holders); an interest fewer than
   `MIN_GROUP` people hold counts as held by one, so the figures a phone gets for offline starters
   (`EventIndex.frequencies`) say nothing about fewer than five people);
3. sessions both attended (from counted check-ins, see `sessions_in_common`);
4. otherwise the other's organization, role or interests.

The app runs the same engine on the phone for a card opened offline (`pwa/js/starters.js`):
both give the same starters for the same inputs (`tests/starters_golden.json` holds the cases both
are checked against), so every step here is one the app can repeat exactly: code-point order,
an FNV-1a hash to pick a template, and the same text folding (`api/vocabulary.py`).

Only what the other person shares is ever used: their organization always (a badge shows it),
their role, interests, needs and offers only when they opted in. Session attendance is not a
field anyone shares; it is used only as far as the reader witnessed it (`sessions_in_common`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from api.dashboard.suppression import MIN_GROUP
from api.starters.phrases import PHRASES
from api.vocabulary import normalize_term

MAX_STARTERS = 3
# A session both people sat in is a concrete, recent opener: it ranks above an interest most of
# the event shares and below a rarer one (interest scores are 20 + weight; weight 2 is an
# interest held by about a third of the people), and below any need met by an offer.
SHARED_SESSION_SCORE = 22.0


@dataclass(frozen=True, slots=True)
class VocabularyTerm:
    """One interest of the event's vocabulary: its key, labels and aliases in both languages."""

    key: str
    label_en: str
    label_es: str
    aliases: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """What the engine may know of one person. `shared` lists the fields they opted to share."""

    id: int
    name: str
    organization: str = ""
    role: str = ""
    interests: Sequence[str] = ()
    looking_for: Sequence[str] = ()
    can_help_with: Sequence[str] = ()
    # Session id -> title, in the order to mention them (the latest first).
    sessions: Mapping[int, str] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a starter was chosen: which kind of signal, and the terms or session behind it."""

    # need_offer, offer_need, shared_interest, shared_session, organization, role, interests, event
    kind: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Starter:
    text: str
    reason: Reason
    score: float


@dataclass(frozen=True, slots=True)
class Visit:
    """A session one person was checked in to (attendance as counted, never a refused attempt)."""

    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime


def sessions_in_common(reader: Sequence[Visit], other: Sequence[Visit]) -> dict[int, str]:
    """Sessions both attended that the reader may be told about, latest first: id -> title.

    Nobody shares their attendance on their card, so a starter may only say what the reader
    saw for themselves: that both of them were checked in to the same session (the reader
    sat in that room too). Never the other's other sessions. And a reader checked in to
    sessions that overlap in time cannot have sat through them all (a room's poster can be
    scanned from its door), so those sessions are left out: collecting check-ins at every door
    must not turn scanning someone's badge into learning where they were.
    """
    own = sorted(reader, key=lambda v: (v.starts_at, v.session_id))
    clear = {
        v.session_id
        for v in own
        if not any(
            w.session_id != v.session_id and w.starts_at < v.ends_at and v.starts_at < w.ends_at
            for w in own
        )
    }
    theirs = {v.session_id for v in other}
    both = [v for v in reversed(own) if v.session_id in clear and v.session_id in theirs]
    return {v.session_id: v.title for v in both}


class EventIndex:
    """An event's vocabulary (aliases in both languages) and how many people hold each term."""

    def __init__(self, vocabulary: Iterable[VocabularyTerm] = (), people: Iterable[Person] = ()):
        self._terms: dict[str, VocabularyTerm] = {}
        self._key_for: dict[str, str] = {}
        for term in vocabulary:
            self._terms[term.key] = term
            for spelling in (term.key, term.label_en, term.label_es, *term.aliases):
                self._key_for.setdefault(normalize_term(spelling), term.key)
        self._holders: Counter[str] = Counter()
        self._people = 0
        for person in people:
            self.count(person)

    @classmethod
    def from_frequencies(
        cls, vocabulary: Iterable[VocabularyTerm], people: int, holders: Mapping[str, int]
    ) -> EventIndex:
        """The index a phone rebuilds from `frequencies()` (and the golden cases from JSON)."""
        index = cls(vocabulary)
        index._people = people
        index._holders.update(holders)
        return index

    def frequencies(self) -> tuple[int, dict[str, int]]:
        """How many people, and how many hold each interest held by at least MIN_GROUP: all the
        ranking needs (the rest count as one), and nothing about fewer than five people."""
        held = {key: n for key, n in self._holders.items() if n >= MIN_GROUP}
        return self._people, dict(sorted(held.items()))

    def vocabulary(self) -> list[VocabularyTerm]:
        return list(self._terms.values())

    def count(self, person: Person) -> None:
        """Add one person's interests to the frequencies (rarer interests weigh more)."""
        self._people += 1
        self._holders.update(self.keys(person.interests))

    def keys(self, terms: Iterable[str]) -> set[str]:
        """Canonical keys of free-text terms: vocabulary aliases meet, case and accents ignored."""
        keys = set()
        for term in terms:
            normalized = normalize_term(term)
            if normalized:
                keys.add(self._key_for.get(normalized, normalized))
        return keys

    def weight(self, key: str) -> float:
        """Inverse frequency of an interest: shared rare interests rank above common ones."""
        holders = self._holders.get(key, 0)
        if holders < MIN_GROUP:
            holders = 1
        return math.log((self._people + 1) / holders) + 1.0

    def label(self, key: str, language: str, spelled: Mapping[str, str]) -> str:
        """How to show a term to a reader of `language`."""
        term = self._terms.get(key)
        if term is not None:
            return term.label_es if language == "es" else term.label_en
        return spelled.get(key, key)

    def shown(self, terms: Iterable[str], language: str) -> list[str]:
        """Terms as typed, each one of the event's vocabulary in the reader's language instead
        ("Captación de fondos" reads "Fundraising" in English); two spellings of one term once."""
        seen: set[str] = set()
        result = []
        for typed in terms:
            normalized = normalize_term(typed)
            key = self._key_for.get(normalized, normalized)
            if key in seen:
                continue
            seen.add(key)
            term = self._terms.get(key)
            result.append(
                typed if term is None else term.label_es if language == "es" else term.label_en
            )
        return result


def _spellings(index: EventIndex, *lists: Iterable[str]) -> dict[str, str]:
    """The way a person wrote each term, for terms outside the vocabulary."""
    spelled: dict[str, str] = {}
    for terms in lists:
        for term in terms:
            for key in index.keys([term]):
                spelled.setdefault(key, term.strip())
    return spelled


def fnv1a(text: str) -> int:
    """The 32-bit FNV-1a hash of `text` in UTF-8 (one the app computes the same way)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _pick(kind: str, language: str, seed: str) -> str:
    """One of the templates for `kind`: varied across pairs, stable for a pair."""
    templates = PHRASES[language if language in PHRASES else "en"][kind]
    return templates[fnv1a(f"{seed}:{kind}") % len(templates)]


def _join(labels: Sequence[str], language: str) -> str:
    if len(labels) == 1:
        return labels[0]
    conjunction = " y " if language == "es" else " and "
    return ", ".join(labels[:-1]) + conjunction + labels[-1]


def starters_for(
    reader: Person, other: Person, index: EventIndex, language: str = "en"
) -> list[Starter]:
    """One to three starters for `reader` about `other`, strongest first, each with its reason."""
    seed = f"{min(reader.id, other.id)}-{max(reader.id, other.id)}-{reader.id}"
    # The reader's own spelling first: it is the one they will recognize.
    spelled = _spellings(index, reader.interests, reader.looking_for, reader.can_help_with)
    visible = [
        getattr(other, f)
        for f in ("interests", "looking_for", "can_help_with")
        if f in other.shared
    ]
    for key, text in _spellings(index, *visible).items():
        spelled.setdefault(key, text)
    candidates: list[tuple[float, str, tuple[str, ...]]] = []

    def label_list(keys: Iterable[str]) -> tuple[str, ...]:
        return tuple(index.label(key, language, spelled) for key in keys)

    shared = other.shared
    if "can_help_with" in shared:
        matched = sorted(index.keys(reader.looking_for) & index.keys(other.can_help_with))
        if matched:
            labels = label_list(matched[:2])
            candidates.append((100.0 + len(matched), "need_offer", labels))
    if "looking_for" in shared:
        matched = sorted(index.keys(reader.can_help_with) & index.keys(other.looking_for))
        if matched:
            labels = label_list(matched[:2])
            candidates.append((90.0 + len(matched), "offer_need", labels))
    if "interests" in shared:
        common = index.keys(reader.interests) & index.keys(other.interests)
        # Rarer first; ties broken by key so the result never depends on set order.
        ranked = sorted(common, key=lambda key: (-index.weight(key), key))
        for key in ranked[:2]:
            weight = index.weight(key)
            candidates.append((20.0 + weight, "shared_interest", label_list([key])))
    # The reader's order (latest first): the session freshest in both minds leads.
    both = [s for s in reader.sessions if s in other.sessions]
    if both:
        titles = tuple(reader.sessions[s] for s in both[:2])
        candidates.append((SHARED_SESSION_SCORE, "shared_session", titles))
    if len(candidates) < MAX_STARTERS and other.organization.strip():
        candidates.append((5.0, "organization", (other.organization.strip(),)))
    if len(candidates) < MAX_STARTERS and "role" in shared and other.role.strip():
        candidates.append((4.0, "role", (other.role.strip(),)))
    if len(candidates) < MAX_STARTERS and "interests" in shared and other.interests:
        keys = sorted(index.keys(other.interests), key=lambda key: (-index.weight(key), key))
        if keys:
            candidates.append((3.0, "interests", label_list(keys[:2])))

    if not candidates:
        candidates.append((1.0, "event", ()))  # nothing shared or known: still a way in
    candidates.sort(key=lambda candidate: (-candidate[0], candidate[1], candidate[2]))
    name = other.name.split()[0] if other.name.strip() else other.name
    starters = []
    for score, kind, terms in candidates[:MAX_STARTERS]:
        template = _pick(kind, language, seed)
        text = template.format(
            name=name, terms=_join(terms, language) if terms else "", term=terms[0] if terms else ""
        )
        starters.append(Starter(text=text, reason=Reason(kind=kind, terms=terms), score=score))
    return starters
