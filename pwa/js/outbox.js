// The offline outbox: writes queued in IndexedDB with their local change, replayed to POST /api/sync.
//
// Each write gets its UUID when it is made and is stored in the same IndexedDB transaction as the
// local contact it changes. flush() sends the oldest first in batches, one flusher at a time (also
// across tabs, with the Web Locks API where there is one), and removes an operation only on a final
// answer: applied, or rejected (then kept in the "could not sync" store with its reason). Network
// errors, 401/403 (sign in again, then resume), 409, 429 and 5xx keep it and retry with back-off.
import { api } from "./api.js";
import { state } from "./state.js";

const DB_NAME = "enlace-outbox";
const BATCH = 100;
const TIMER_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Change notifications: "change" (pending count or could-not-sync list changed), "signin". */
export const outboxEvents = new EventTarget();

let dbPromise = null;
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("failed", { keyPath: "id" });
        db.createObjectStore("contacts", { keyPath: "key" });
        db.createObjectStore("directories", { keyPath: "event" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function asPromise(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function readAll(store) {
  const db = await openDb();
  return asPromise(db.transaction(store).objectStore(store).getAll());
}

/** The key of my contact made by scanning `token` in `event`. */
export function contactKey(event, token) {
  return `${event}|${token}`;
}

export async function getContact(event, token) {
  const db = await openDb();
  return (await asPromise(db.transaction("contacts").objectStore("contacts").get(contactKey(event, token)))) ?? null;
}

export async function pendingCount() {
  return (await oldest(Infinity)).length;
}

/** Operations that got a final "no", newest first: {id, op, reason, field, detail, failedAt}. */
export async function couldNotSync() {
  const list = await readAll("failed");
  return list.sort((a, b) => (a.failedAt < b.failedAt ? 1 : -1));
}

export async function dismissFailed(id) {
  const db = await openDb();
  const tx = db.transaction("failed", "readwrite");
  tx.objectStore("failed").delete(id);
  await done(tx);
  notify();
}

let signInNeeded = false;
export function needsSignIn() {
  return signInNeeded;
}

async function notify() {
  const [pending, failed] = await Promise.all([pendingCount(), couldNotSync()]);
  outboxEvents.dispatchEvent(new CustomEvent("change", { detail: { pending, failed, signInNeeded } }));
}

/**
 * Queue writes: `ops` (without id and at, which are made here) and, in the same transaction, the
 * local contact they change. Answers the operations as queued; a flush follows.
 */
export async function queue(ops, contact = null) {
  const now = new Date().toISOString();
  const made = (Array.isArray(ops) ? ops : [ops]).map((op) => ({ id: crypto.randomUUID(), at: now, ...op }));
  const db = await openDb();
  const tx = db.transaction(["ops", "contacts"], "readwrite");
  // Each write belongs to the person who made it: on a shared phone, someone signing in later
  // never sends it as theirs.
  const account = state.me?.email ?? null;
  for (const op of made) tx.objectStore("ops").add({ op, contact: contact?.key ?? null, account });
  if (contact) tx.objectStore("contacts").put(contact);
  await done(tx);
  notify();
  flush();
  return made;
}

/** What a final answer teaches about the contact the operation named. */
function learn(contact, result) {
  const next = { ...contact };
  for (const name of ["connection", "attendee", "card", "mutual", "note", "note_revision", "tags"]) {
    if (result[name] !== undefined && result[name] !== null) next[name] = result[name];
  }
  return next;
}

async function settle(batch, results) {
  const byId = new Map(results.map((result) => [String(result.id).toLowerCase(), result]));
  const db = await openDb();
  const tx = db.transaction(["ops", "failed", "contacts"], "readwrite");
  const contacts = tx.objectStore("contacts");
  const failedAt = new Date().toISOString();
  for (const record of batch) {
    const result = byId.get(record.op.id.toLowerCase());
    if (!result) continue; // no answer for it: keep it for the next flush
    tx.objectStore("ops").delete(record.seq);
    const reason = result.reason === "duplicate" ? result.original_reason || result.reason : result.reason;
    if (result.status !== "applied") {
      tx.objectStore("failed").put({
        id: record.op.id,
        op: record.op,
        reason,
        field: result.field ?? null,
        detail: result.detail ?? null,
        failedAt,
      });
    }
    if (record.contact) {
      const key = record.contact;
      const request = contacts.get(key);
      request.onsuccess = () => {
        const current = request.result;
        if (!current) return;
        if (result.status === "applied" && reason === "removed") contacts.delete(key);
        else if (result.status === "applied") contacts.put(learn(current, result));
        else if (record.op.kind === "scan") contacts.put({ ...current, rejected: reason });
      };
    }
  }
  await done(tx);
}

/** The oldest writes of the signed-in person (others wait until their author signs in). */
async function oldest(limit) {
  const account = state.me?.email;
  if (!account) return [];
  const db = await openDb();
  const store = db.transaction("ops").objectStore("ops");
  const all = await asPromise(store.getAll());
  return all.filter((record) => record.account === account).slice(0, limit);
}

let backoffMs = 0;
let retryTimer = null;

function retryLater() {
  backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : 2000);
  clearTimeout(retryTimer);
  const jitter = Math.random() * 0.3 * backoffMs;
  retryTimer = setTimeout(() => flush(), backoffMs + jitter);
}

async function flushNow() {
  for (;;) {
    const batch = await oldest(BATCH);
    if (!batch.length) break;
    let answer;
    try {
      answer = await api("POST", "/api/sync", { operations: batch.map((record) => record.op) });
    } catch (error) {
      // Nothing is final here: offline, signed out (401/403), 409, 429, 5xx... keep and retry.
      if (error.status === 401 || error.status === 403) {
        if (!signInNeeded) {
          signInNeeded = true;
          outboxEvents.dispatchEvent(new CustomEvent("signin"));
        }
      } else {
        retryLater();
      }
      return;
    }
    signInNeeded = false;
    backoffMs = 0;
    await settle(batch, answer.results ?? []);
    await notify();
    if (!answer.results?.length) {
      retryLater();
      return;
    }
  }
  notify();
}

let running = null;
let again = false;

/** Send what is waiting; one flusher at a time (a call while one runs makes it go round again). */
export function flush() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      do {
        again = false;
        if (navigator.locks?.request) {
          await navigator.locks.request("enlace-outbox-flush", { ifAvailable: true }, async (lock) => {
            if (lock) await flushNow();
          });
        } else {
          await flushNow();
        }
      } while (again);
    } catch {
      retryLater(); // IndexedDB trouble: try again later rather than lose anything
    } finally {
      running = null;
    }
  })();
  return running;
}

/** After signing in again: resume at once. */
export function resume() {
  signInNeeded = false;
  backoffMs = 0;
  notify();
  flush();
}

let started = false;
/** Flush on start, on `online`, when the page becomes visible, and on a timer. */
export function startOutbox() {
  if (started) return;
  started = true;
  window.addEventListener("online", () => {
    backoffMs = 0;
    flush();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  setInterval(() => flush(), TIMER_MS);
  notify();
  flush();
}

// The offline directory: cards keyed by HMAC-SHA256(salt, token), for scans without a network.

/** Fetch and keep the directory of `event` (when online; failures keep the previous copy). */
export async function saveDirectory(event) {
  const directory = await api("GET", `/api/events/${encodeURIComponent(event)}/directory`);
  const db = await openDb();
  const tx = db.transaction("directories", "readwrite");
  tx.objectStore("directories").put({ ...directory, event, savedAt: new Date().toISOString() });
  await done(tx);
  return directory;
}

/** Refresh the directories of every event I attend, quietly. */
export async function refreshDirectories(events) {
  for (const event of events) {
    try {
      await saveDirectory(event);
    } catch {
      // offline or not an attendee: keep what is saved
    }
  }
}

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** The token as the server normalizes it (upper case, no separators, O→0, I/L→1), or null. */
export function normalizeToken(typed) {
  const candidate = String(typed)
    .trim()
    .toUpperCase()
    .replace(/[\s\-_.]+/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (candidate.length !== 28 || [...candidate].some((c) => !ALPHABET.includes(c))) return null;
  return candidate;
}

function fromBase64url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function toBase64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function directoryKey(directory, token) {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64url(directory.salt),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
  return toBase64url(digest.slice(0, directory.key_bytes));
}

/** The card for `token` from a saved directory: {event, attendee, card, isMe}, or null. */
export async function lookUpOffline(token) {
  const normalized = normalizeToken(token);
  if (!normalized || !crypto.subtle) return null;
  for (const directory of await readAll("directories")) {
    const key = await directoryKey(directory, normalized);
    const entry = directory.entries.find((candidate) => candidate.key === key);
    if (entry) {
      return { event: directory.event, attendee: entry.attendee, card: entry.card, isMe: entry.attendee === directory.me };
    }
  }
  return null;
}
