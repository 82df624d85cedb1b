// Conversation starters on the phone, for a card opened offline: the server's engine
// (api/starters/engine.py) step for step, so a card gives the same starters, with the same
// reasons and words, with or without a network. Both are checked against the same cases
// (tests/starters_golden.json). The event's part (vocabulary, interest frequencies, phrases) and
// the reader's own terms come from GET /api/events/SLUG/starter-kit; the other person's from their
// card in the offline directory, which holds only what they share.
import { FOLD, MARKS, SEPARATORS, SPACES, UNASSIGNED } from "./text-fold.js";

export const MAX_STARTERS = 3;
/** An interest fewer people hold counts as held by one (the kit says nothing about fewer). */
export const MIN_GROUP = 5;
const SHARED_SESSION_SCORE = 22.0;
const SHAREABLE = ["role", "interests", "looking_for", "can_help_with"];

const folds = new Map(Object.entries(FOLD));
// [first, last] code points, sorted: what the server's Unicode does not know, this browser's may.
const unassigned = UNASSIGNED.split(",").map((span) => span.split("-").map((hex) => Number.parseInt(hex, 16)));

function isUnassigned(code) {
  let low = 0;
  let high = unassigned.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = unassigned[middle];
    if (code < first) high = middle - 1;
    else if (code > last) low = middle + 1;
    else return true;
  }
  return false;
}

/** One character as Python's casefold then NFKD leave it (marks are dropped after). */
function foldOne(ch) {
  const code = ch.codePointAt(0);
  if (code < 0x80) return ch.toLowerCase();
  // Python knows nothing of it, so leaves it as it is; a newer browser might not.
  if (isUnassigned(code)) return ch;
  return (folds.get(ch) ?? ch.toLowerCase()).normalize("NFKD");
}
const marks = new RegExp(`[${MARKS}]`, "gu");
const separators = new RegExp(`[${SEPARATORS}]+`, "gu");
const edges = new RegExp(`^[${SPACES}]+|[${SPACES}]+$`, "gu");
const spaces = new RegExp(`[${SPACES}]+`, "u");

/** Python's str.strip(): whitespace off both ends. */
function strip(text) {
  return text.replace(edges, "");
}

const normalized = new Map();

/**
 * api/vocabulary.py's normalize_term: case-folded, accent-free, single-spaced. Character by
 * character: casefold is, and NFKD differs only in the order of combining marks, all dropped.
 */
export function normalizeTerm(text) {
  let found = normalized.get(text);
  if (found === undefined) {
    const folded = Array.from(text, foldOne).join("");
    found = strip(folded.replace(marks, "").replace(separators, " "));
    if (normalized.size > 65_536) normalized.clear();
    normalized.set(text, found);
  }
  return found;
}

/** Python's order of strings: by code point (JavaScript's < compares UTF-16 units). */
export function compareText(a, b) {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800-DFFF) stand for code points above U+FFFF: after U+E000-FFFF.
      if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
      if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
      return x - y;
    }
  }
  return a.length - b.length;
}

function compareLists(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const order = compareText(a[i], b[i]);
    if (order) return order;
  }
  return a.length - b.length;
}

/** The 32-bit FNV-1a hash of `text` in UTF-8 (as the server's fnv1a). */
export function fnv1a(text) {
  let value = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  return value;
}

/** An event's vocabulary (aliases in both languages) and how many people hold each interest. */
export class EventIndex {
  constructor({ vocabulary = [], people = 0, holders = {} } = {}) {
    this.terms = new Map();
    this.keyFor = new Map();
    for (const term of vocabulary) {
      this.terms.set(term.key, term);
      for (const spelling of [term.key, term.label_en, term.label_es, ...(term.aliases ?? [])]) {
        const key = normalizeTerm(spelling);
        if (!this.keyFor.has(key)) this.keyFor.set(key, term.key);
      }
    }
    this.people = people;
    this.holders = new Map(Object.entries(holders));
  }

  /** Canonical keys of free-text terms: vocabulary aliases meet, case and accents ignored. */
  keys(terms) {
    const keys = new Set();
    for (const term of terms) {
      const key = normalizeTerm(term);
      if (key) keys.add(this.keyFor.get(key) ?? key);
    }
    return keys;
  }

  weight(key) {
    let holders = this.holders.get(key) ?? 0;
    if (holders < MIN_GROUP) holders = 1;
    return Math.log((this.people + 1) / holders) + 1;
  }

  label(key, language, spelled) {
    const term = this.terms.get(key);
    if (term) return language === "es" ? term.label_es : term.label_en;
    return spelled.get(key) ?? key;
  }

  /** Terms as typed, each one of the vocabulary in the reader's language instead; two spellings of one term once. */
  shown(terms, language) {
    const seen = new Set();
    const result = [];
    for (const typed of terms) {
      const normalized = normalizeTerm(typed);
      const key = this.keyFor.get(normalized) ?? normalized;
      if (seen.has(key)) continue;
      seen.add(key);
      const term = this.terms.get(key);
      result.push(term ? (language === "es" ? term.label_es : term.label_en) : typed);
    }
    return result;
  }
}

/** A card with its interests, needs and offers in the reader's language (api.starters.service.card_in_language). */
export function cardInLanguage(kit, card, language) {
  const index = new EventIndex(kit);
  const lists = {};
  for (const field of ["interests", "looking_for", "can_help_with"]) {
    if (card[field]) lists[field] = index.shown(card[field], language);
  }
  return { ...card, ...lists };
}

function spellings(index, lists, spelled = new Map()) {
  for (const terms of lists) {
    for (const term of terms) {
      for (const key of index.keys([term])) if (!spelled.has(key)) spelled.set(key, strip(term));
    }
  }
  return spelled;
}

function sortedKeys(keys) {
  return [...keys].sort(compareText);
}

function join(labels, language) {
  if (labels.length === 1) return labels[0];
  const conjunction = language === "es" ? " y " : " and ";
  return labels.slice(0, -1).join(", ") + conjunction + labels[labels.length - 1];
}

function pick(phrases, kind, language, seed) {
  const templates = (phrases[language] ?? phrases.en)[kind];
  return templates[fnv1a(`${seed}:${kind}`) % templates.length];
}

/**
 * A person as the engine reads them: {id, name, organization, role, interests, looking_for,
 * can_help_with, sessions: [[id, title], ...] latest first, shared: Set of field names}.
 */
export function person(values) {
  return {
    id: values.id,
    name: values.name ?? "",
    organization: values.organization ?? "",
    role: values.role ?? "",
    interests: values.interests ?? [],
    looking_for: values.looking_for ?? [],
    can_help_with: values.can_help_with ?? [],
    sessions: values.sessions ?? [],
    shared: new Set(values.shared ?? []),
  };
}

/** The other person from their card in the directory: a field is there only when shared. */
export function personFromCard(attendee, card) {
  const shared = SHAREABLE.filter((field) => card[field] !== undefined && card[field] !== null);
  return person({ ...card, id: attendee, shared });
}

/** One to three starters for `reader` about `other`, strongest first, each with its reason. */
export function startersFor(reader, other, index, phrases, language = "en") {
  const seed = `${Math.min(reader.id, other.id)}-${Math.max(reader.id, other.id)}-${reader.id}`;
  // The reader's own spelling first: it is the one they will recognize.
  const spelled = spellings(index, [reader.interests, reader.looking_for, reader.can_help_with]);
  const visible = ["interests", "looking_for", "can_help_with"].filter((f) => other.shared.has(f)).map((f) => other[f]);
  spellings(index, visible, spelled);
  const labels = (keys) => keys.map((key) => index.label(key, language, spelled));
  const meet = (a, b) => {
    const theirs = index.keys(b);
    return sortedKeys([...index.keys(a)].filter((key) => theirs.has(key)));
  };
  const byWeight = (keys) => [...keys].sort((a, b) => index.weight(b) - index.weight(a) || compareText(a, b));
  const candidates = [];
  const shared = other.shared;
  if (shared.has("can_help_with")) {
    const matched = meet(reader.looking_for, other.can_help_with);
    if (matched.length) candidates.push([100 + matched.length, "need_offer", labels(matched.slice(0, 2))]);
  }
  if (shared.has("looking_for")) {
    const matched = meet(reader.can_help_with, other.looking_for);
    if (matched.length) candidates.push([90 + matched.length, "offer_need", labels(matched.slice(0, 2))]);
  }
  if (shared.has("interests")) {
    for (const key of byWeight(meet(reader.interests, other.interests)).slice(0, 2)) {
      candidates.push([20 + index.weight(key), "shared_interest", labels([key])]);
    }
  }
  const theirSessions = new Set(other.sessions.map(([id]) => id));
  const both = reader.sessions.filter(([id]) => theirSessions.has(id));
  if (both.length) candidates.push([SHARED_SESSION_SCORE, "shared_session", both.slice(0, 2).map(([, title]) => title)]);
  const organization = strip(other.organization);
  if (candidates.length < MAX_STARTERS && organization) candidates.push([5, "organization", [organization]]);
  const role = strip(other.role);
  if (candidates.length < MAX_STARTERS && shared.has("role") && role) candidates.push([4, "role", [role]]);
  if (candidates.length < MAX_STARTERS && shared.has("interests") && other.interests.length) {
    const keys = byWeight(index.keys(other.interests));
    if (keys.length) candidates.push([3, "interests", labels(keys.slice(0, 2))]);
  }
  if (!candidates.length) candidates.push([1, "event", []]); // nothing shared or known: still a way in
  candidates.sort((a, b) => b[0] - a[0] || compareText(a[1], b[1]) || compareLists(a[2], b[2]));
  const name = strip(other.name) ? strip(other.name).split(spaces)[0] : other.name;
  return candidates.slice(0, MAX_STARTERS).map(([score, kind, terms]) => {
    const values = { name, terms: terms.length ? join(terms, language) : "", term: terms[0] ?? "" };
    const text = pick(phrases, kind, language, seed).replace(/\{(name|terms|term)\}/g, (_, field) => values[field]);
    return { text, reason: { kind, terms }, score };
  });
}

/**
 * The starters the server would give me about the person of a card opened from the directory,
 * from the event's starter kit kept beside it (their sessions are not on the phone: a session
 * both attended is a starter only online, where the server knows who was checked in).
 */
export function startersFromKit(kit, attendee, card, language) {
  const reader = person({ ...kit.me, shared: [] });
  const found = startersFor(reader, personFromCard(attendee, card), new EventIndex(kit), kit.phrases, language);
  return found.map(({ text, reason }) => ({ text, reason }));
}
