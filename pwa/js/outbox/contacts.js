// My contacts as this phone knows them: one record per person (see contactKey in storage.js), and
// the server's list of my connections kept for offline visits.
import { state } from "../state.js";
import { contactKey, mine, readAll } from "./storage.js";
import { waitingWrites } from "./queue.js";

/** The key of my contact in `event`: {attendee} once the person is known, else {token} scanned. */
export function keyOf(event, who) {
  return contactKey(state.me?.email, event, who);
}

/** My saved contacts in `event`. */
async function savedIn(event) {
  return (await readAll("contacts")).filter((contact) => contact.event === event && mine(contact));
}

/**
 * My contact in `event` for the person `attendee` (when known) or the badge `token`: the one
 * record of that person, also when it was saved before the server named them; or null.
 */
export async function findContact(event, { attendee = null, token = null }) {
  const saved = await savedIn(event);
  const byKey = (key) => saved.find((contact) => contact.key === key);
  return (
    (attendee && byKey(keyOf(event, { attendee }))) ||
    (token && (byKey(keyOf(event, { token })) ?? saved.find((contact) => contact.token === token))) ||
    null
  );
}

/**
 * What this phone knows of my contacts in `event`: the saved records of the signed-in person and
 * the keys of those with a write waiting to sync.
 */
export async function phoneContacts(event) {
  const [contacts, waiting] = await Promise.all([savedIn(event), waitingWrites()]);
  return { contacts, pending: new Set(waiting.map((record) => record.contact)) };
}

// My connections as the server last listed them, for offline visits. They are kept in the
// service worker's API cache (sw.js), which signing out empties, under an address it never fetches.
const API_CACHE = "enlace-api-v1";
const listAddress = (event) => `/saved/events/${encodeURIComponent(event)}/connections`;

/** Keep the server's list of my connections in `event`, as it was at `savedAt`. */
export async function saveConnectionList(event, list, savedAt) {
  if (!("caches" in window)) return;
  const body = JSON.stringify({ account: state.me?.email, savedAt, list });
  const cache = await caches.open(API_CACHE);
  await cache.put(listAddress(event), new Response(body, { headers: { "content-type": "application/json" } }));
}

/** The list kept by saveConnectionList for the signed-in person: {list, savedAt}, or null. */
export async function savedConnectionList(event) {
  if (!("caches" in window)) return null;
  const found = await (await caches.open(API_CACHE)).match(listAddress(event));
  const saved = found ? await found.json() : null;
  return saved && saved.account === state.me?.email ? saved : null;
}
