// The offline directory: each event's sealed cards kept on the phone, refreshed by version (full
// or delta, with ETag) at most every few minutes, and opened with a scanned badge's token.
//
// Cards are found by HMAC-SHA256(salt, token) and sealed with the token (see
// api/attendees/directory.py), so the copy on the phone tells nothing until a badge is scanned.
// Beside the cards, the event's starter kit (vocabulary, interest frequencies, phrases and my own
// terms: GET starter-kit) lets a card opened offline show the starters the server would give.
import { getIfChanged } from "../api.js";
import { state } from "../state.js";
import { asPromise, done, openDb, readAll } from "./storage.js";
import { normalizeToken } from "./tokens.js";

/** A copy checked this recently is used as it is: scans never wait for the directory. */
export const REFRESH_MS = 5 * 60_000;

async function savedDirectory(account, event) {
  const db = await openDb();
  return (await asPromise(db.transaction("directories").objectStore("directories").get([account, event]))) ?? null;
}

/** The event's starter kit this phone keeps for me (vocabulary and all), or null. */
export async function savedKit(event) {
  const account = state.me?.email;
  return account ? ((await savedDirectory(account, event))?.kit ?? null) : null;
}

/**
 * The directory after the server's answer `answer` on top of the copy `saved` (or null). A full
 * answer (or one from a server without versions, which has no `full`) replaces the copy; a delta
 * upserts its entries by key and drops the removed keys.
 */
export function applyDirectory(saved, answer) {
  const { entries = [], removed = [], full = true, version = null, ...rest } = answer;
  if (full || !saved) return { ...rest, version, entries };
  const byKey = new Map(saved.entries.map((entry) => [entry.key, entry]));
  for (const key of removed) byKey.delete(key);
  for (const entry of entries) byKey.set(entry.key, entry);
  return { ...saved, ...rest, version, entries: [...byKey.values()] };
}

async function fetchDirectory(account, event) {
  const saved = await savedDirectory(account, event);
  const since = saved?.version ?? null;
  const query = since === null ? "" : `?since=${encodeURIComponent(since)}`;
  const path = `/api/events/${encodeURIComponent(event)}`;
  const [answer, kit] = await Promise.all([
    getIfChanged(`${path}/directory${query}`, saved?.etag),
    // Without the kit the cards still open offline (with no starters): never fail for it.
    getIfChanged(`${path}/starter-kit`, saved?.kitEtag).catch(() => ({ changed: false })),
  ]);
  if (account !== state.me?.email) return; // signed out or someone else meanwhile: keep nothing
  const now = new Date().toISOString();
  const next = answer.changed
    ? { ...saved, ...applyDirectory(saved, answer.data), etag: answer.etag ?? null, savedAt: now }
    : saved;
  if (kit.changed) Object.assign(next, { kit: kit.data, kitEtag: kit.etag ?? null });
  const db = await openDb();
  const tx = db.transaction("directories", "readwrite");
  tx.objectStore("directories").put({ ...next, account, event, checkedAt: now });
  await done(tx);
}

/**
 * At sign-out: drop the starter kits this account kept (they hold my own interests, needs and
 * offers in the clear). The sealed cards stay: they tell nothing without a badge.
 */
export async function forgetStarterKits(account) {
  const db = await openDb();
  const tx = db.transaction("directories", "readwrite");
  const cursor = tx.objectStore("directories").openCursor();
  cursor.onsuccess = () => {
    const at = cursor.result;
    if (!at) return;
    if (at.value.account === account && at.value.kit) {
      const { kit, kitEtag, ...rest } = at.value;
      at.update(rest);
    }
    at.continue();
  };
  await done(tx);
}

const inFlight = new Map();

/**
 * Bring the directory of `event` up to date when the copy is older than REFRESH_MS (or `force`);
 * one request at a time per event. Failures (offline, not an attendee) keep the copy.
 */
export async function refreshDirectory(event, { force = false } = {}) {
  const account = state.me?.email;
  if (!account) return;
  const key = `${account}|${event}`;
  if (inFlight.has(key) && force) {
    // A refresh that may have read before what forced this one (my profile saved): once more after.
    const after = inFlight.get(key).catch(() => {}).then(() => fetchDirectory(account, event));
    const next = after.finally(() => inFlight.get(key) === next && inFlight.delete(key));
    inFlight.set(key, next);
  }
  if (!inFlight.has(key)) {
    const saved = await savedDirectory(account, event);
    const age = saved?.checkedAt ? Date.now() - Date.parse(saved.checkedAt) : Infinity;
    if (!force && age < REFRESH_MS) return;
    if (inFlight.has(key)) return inFlight.get(key); // another call started while this one read
    const next = fetchDirectory(account, event).finally(() => inFlight.get(key) === next && inFlight.delete(key));
    inFlight.set(key, next);
  }
  return inFlight.get(key);
}

/** Refresh the directories of every event I attend, quietly. */
export async function refreshDirectories(events) {
  for (const event of events) await refreshDirectory(event).catch(() => {});
}

export function fromBase64url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export function toBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function hmac(salt, message) {
  const key = await crypto.subtle.importKey("raw", salt, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

/** What `entry` holds, {attendee, card}, opened with the token scanned (see DirectoryOut). */
async function openEntry(salt, entry, token) {
  if (!entry.box) return entry; // a directory saved before the cards were sealed
  const sealing = await crypto.subtle.importKey("raw", await hmac(salt, `card|${token}`), "AES-GCM", false, ["decrypt"]);
  const parameters = { name: "AES-GCM", iv: fromBase64url(entry.nonce), additionalData: fromBase64url(entry.key) };
  const plain = await crypto.subtle.decrypt(parameters, sealing, fromBase64url(entry.box));
  return JSON.parse(new TextDecoder().decode(plain));
}

/** The card for `token` from a saved directory: {event, attendee, card, isMe, kit}, or null
 * (`kit`, the event's starter kit, when the phone has one). */
export async function lookUpOffline(token) {
  const normalized = normalizeToken(token);
  if (!normalized || !crypto.subtle) return null;
  for (const directory of (await readAll("directories")).filter((saved) => saved.account === state.me?.email)) {
    const salt = fromBase64url(directory.salt);
    const key = toBase64url((await hmac(salt, normalized)).slice(0, directory.key_bytes));
    const entry = directory.entries.find((candidate) => candidate.key === key);
    if (entry) {
      const { attendee, card } = await openEntry(salt, entry, normalized);
      return { event: directory.event, attendee, card, isMe: attendee === directory.me, kit: directory.kit ?? null };
    }
  }
  return null;
}
