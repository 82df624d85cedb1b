// My follow-up list of an event as this phone keeps it (for offline visits), the follow-up writes
// still waiting to sync applied over it, and the message drafts I edit on this phone.
import { getIfChanged } from "../api.js";
import { state } from "../state.js";

/** Outbox operation kinds this screen writes (see the shared contract). */
export const FOLLOWUP_KINDS = ["followup", "reminder", "reminders"];
export const REMINDER_KINDS = ["thank_you", "share", "reach_out"];

// Kept in the service worker's API cache (emptied on sign-out), under an address it never fetches.
const API_CACHE = "enlace-api-v1";
const listAddress = (event) => `/saved/events/${encodeURIComponent(event)}/followups`;

async function keepList(event, saved) {
  if (!("caches" in window)) return;
  const body = JSON.stringify({ account: state.me?.email, ...saved });
  const cache = await caches.open(API_CACHE);
  await cache.put(listAddress(event), new Response(body, { headers: { "content-type": "application/json" } }));
}

/** The list kept for the signed-in person: {list, savedAt, etag}, or null. */
export async function keptList(event) {
  if (!("caches" in window)) return null;
  const found = await (await caches.open(API_CACHE)).match(listAddress(event));
  const saved = found ? await found.json() : null;
  return saved && saved.account === state.me?.email ? saved : null;
}

/**
 * The server's list when it answers (then kept on the phone), else the phone's copy:
 * {list, savedAt, fromPhone}, or null offline with no copy. Asked past the service worker's
 * cache (no-store), so "offline" is never mistaken for "current".
 */
export async function loadFollowups(event) {
  const saved = await keptList(event).catch(() => null);
  try {
    const answer = await getIfChanged(`/api/events/${encodeURIComponent(event)}/followups`, saved?.etag);
    const savedAt = new Date().toISOString();
    const list = answer.changed ? answer.data : saved.list;
    const etag = answer.changed ? answer.etag : saved.etag;
    keepList(event, { list, etag, savedAt }).catch(() => {}); // storage trouble: only offline visits miss it
    return { list, savedAt, fromPhone: false };
  } catch (error) {
    if (error.code !== "offline") throw error;
    return saved ? { list: saved.list, savedAt: saved.savedAt, fromPhone: true } : null;
  }
}

/** The day (YYYY-MM-DD) of instant `iso` in time zone `zone`. */
export function dayIn(iso, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone || undefined, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(iso));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

export function addDays(day, days) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// The thank-you is a deadline ("within two days"): whenever the person was marked done, it is met.
const SETTLED_BY_DONE = new Set(["thank_you"]);

/** Today in the event's zone: the phone's clock, never behind the server's last word. */
export function todayOf(list) {
  const here = dayIn(new Date().toISOString(), list.event.timezone);
  return here > list.today ? here : list.today;
}

/**
 * Status and due reminders of one person as the shared rules say (api/followups/reminders.py):
 * snoozed while today is before the snooze's day; done when no reminder (on) fell due after the
 * day it was marked done, the thank-you being settled by any done mark; else to do.
 */
function restate(person, today, zone) {
  const doneDay = person.done_at ? dayIn(person.done_at, zone) : null;
  const snoozed = Boolean(person.snoozed_until) && today < person.snoozed_until;
  const live = (reminder) => reminder.on && reminder.due;
  const reopens = (reminder) => !doneDay || (reminder.due > doneDay && !SETTLED_BY_DONE.has(reminder.kind));
  for (const reminder of person.reminders) {
    reminder.due_now = Boolean(live(reminder) && reminder.due <= today && !snoozed && reopens(reminder));
  }
  if (snoozed) person.status = "snoozed";
  else if (doneDay && !person.reminders.some((r) => live(r) && reopens(r) && r.due <= today)) person.status = "done";
  else person.status = "todo";
}

/**
 * `list` with my waiting writes (`records`, oldest first) applied, as the server will apply them:
 * {list, pending (connection ids with a write waiting; "all" for the event-wide switch)}.
 * Note and tag edits made on the connections screen show here too.
 */
export function withWaiting(list, records) {
  const next = structuredClone(list);
  const zone = next.event.timezone;
  const pending = new Set();
  // The server's `on` includes both switches; `own` is the reminder's own setting. Under a switch
  // that is off it is not known, and taken as on (the default) until the server answers.
  for (const person of next.followups) {
    for (const reminder of person.reminders) reminder.own = reminder.on || next.reminders_off || person.reminders_off;
  }
  for (const { op } of records) {
    if (op.event !== next.event.slug) continue;
    if (op.kind === "reminders" && (op.connection === null || op.connection === undefined)) {
      next.reminders_off = op.off;
      pending.add("all");
      continue;
    }
    const person = next.followups.find((candidate) => candidate.connection === op.connection);
    if (!person) continue;
    if (op.kind === "followup") {
      if (op.status === "done") Object.assign(person, { done_at: op.at, snoozed_until: null });
      else if (op.status === "todo") Object.assign(person, { done_at: null, snoozed_until: null });
      else if (op.status === "snoozed") Object.assign(person, { done_at: null, snoozed_until: op.until });
    } else if (op.kind === "reminder") {
      let reminder = person.reminders.find((candidate) => candidate.kind === op.reminder);
      if (!reminder) {
        reminder = { kind: op.reminder, due: op.due, on: true, own: true, due_now: false, moved: true };
        person.reminders.push(reminder);
      }
      if (op.due) Object.assign(reminder, { due: op.due, own: true, moved: true });
      else reminder.own = false;
    } else if (op.kind === "reminders") {
      person.reminders_off = op.off;
    } else if (op.kind === "note") {
      person.note = op.text;
    } else if (op.kind === "tags") {
      person.tags = op.tags;
    } else {
      continue;
    }
    pending.add(op.connection);
  }
  const today = todayOf(next);
  next.today = today;
  for (const person of next.followups) {
    for (const reminder of person.reminders) reminder.on = reminder.own && !person.reminders_off && !next.reminders_off;
    restate(person, today, zone);
  }
  return { list: next, pending };
}

// Drafts: my edits of a message, kept on this phone per account, event and connection.
const DRAFT_PREFIX = "enlace.draft|";
const draftKey = (event, connection) => `${DRAFT_PREFIX}${state.me?.email ?? ""}|${event}|${connection}`;

/** My edited draft ({subject, body, savedAt}) or null. */
export function editedDraft(event, connection) {
  try {
    const saved = JSON.parse(localStorage.getItem(draftKey(event, connection)) ?? "null");
    return saved && typeof saved.subject === "string" && typeof saved.body === "string" ? saved : null;
  } catch {
    return null;
  }
}

/** Keep my edit; answers whether the phone kept it (private modes may refuse storage). */
export function keepDraft(event, connection, subject, body) {
  // Emptied: nothing worth keeping; the suggested message comes back next time.
  if (!subject.trim() && !body.trim()) {
    dropDraft(event, connection);
    return true;
  }
  try {
    localStorage.setItem(draftKey(event, connection), JSON.stringify({ subject, body, savedAt: new Date().toISOString() }));
    return true;
  } catch {
    return false;
  }
}

export function dropDraft(event, connection) {
  try {
    localStorage.removeItem(draftKey(event, connection));
  } catch {
    // Nothing kept, nothing to drop.
  }
}

/** On sign-out: the drafts quote private notes, so they go with the session. */
export function forgetDrafts(account) {
  try {
    const mine = `${DRAFT_PREFIX}${account}|`;
    for (const key of Object.keys(localStorage)) if (key.startsWith(mine)) localStorage.removeItem(key);
  } catch {
    // Storage refused: nothing was kept.
  }
}
