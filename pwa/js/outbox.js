// The offline outbox: writes queued in IndexedDB with their local change, replayed to POST /api/sync.
//
// Each write gets its UUID when it is made and is stored in the same IndexedDB transaction as the
// local contact it changes. flush() sends the oldest first in batches, one flusher at a time (also
// across tabs, with the Web Locks API where there is one), and removes an operation only on a final
// answer: applied, or rejected (then kept in the "could not sync" store with its reason). Network
// errors, 401/403 (sign in again, then resume), 409, 429 and 5xx keep it and retry with back-off.
// A request refused whole (400, 413, 422) is split until the one operation at fault is found; it
// goes to "could not sync" and the rest are sent.
//
// Everything kept here belongs to one account: writes, contacts, refusals and directories are
// stored with the signed-in person's e-mail and only ever shown or sent for them, so on a shared
// phone nobody sees or sends someone else's.
import { api } from "./api.js";
import { state } from "./state.js";

const DB_NAME = "enlace-outbox";
const BATCH = 100;
const TIMER_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Notifications: "change" (pending count or could-not-sync list changed), "settled" (the server
 * answered some operations: what it lists changed), "signin" (sign in again), "account" (the
 * session is someone else's now). */
export const outboxEvents = new EventTarget();

let dbPromise = null;
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("failed", { keyPath: "id" });
          db.createObjectStore("contacts", { keyPath: "key" });
        }
        // Version 2: one directory per person and event (each holds who "me" is). Directories
        // are copies of the server's, fetched again when online.
        if (db.objectStoreNames.contains("directories")) db.deleteObjectStore("directories");
        db.createObjectStore("directories", { keyPath: ["account", "event"] });
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer version of the app wants to upgrade the database: let it (this page reloads
        // onto the new version when the person accepts the update).
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      // Another tab of an older version holds the database open: writes wait until it closes.
      request.onblocked = () => outboxEvents.dispatchEvent(new CustomEvent("blocked"));
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

/** Whether a record kept here is the signed-in person's. Records without an account (none are
 * written any more) are nobody's: on a shared phone they could be anyone's. */
function mine(record) {
  const account = state.me?.email;
  return Boolean(account) && record.account === account;
}

/** The key of my contact in `event` made by scanning `token` (or `#id` for a connection id). */
export function contactKey(event, token) {
  return `${state.me?.email ?? ""}|${event}|${token}`;
}

export async function getContact(event, token) {
  const db = await openDb();
  const found = await asPromise(db.transaction("contacts").objectStore("contacts").get(contactKey(event, token)));
  return found && mine(found) ? found : null;
}

/**
 * What this phone knows of my contacts in `event`: the saved records of the signed-in person
 * (records from before accounts were noted count as theirs) and the keys of those with a write
 * waiting to sync.
 */
export async function phoneContacts(event) {
  const [contacts, waiting] = await Promise.all([readAll("contacts"), oldest(Infinity)]);
  return {
    contacts: contacts.filter((contact) => contact.event === event && mine(contact)),
    pending: new Set(waiting.map((record) => record.contact)),
  };
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

export async function pendingCount() {
  return (await oldest(Infinity)).length;
}

/** My operations that got a final "no", newest first: {id, op, reason, field, detail, failedAt}. */
export async function couldNotSync() {
  const list = (await readAll("failed")).filter(mine);
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
 * The revision a note edit is based on. The server counts one revision per note edit it applies,
 * so an edit made while an earlier one of the same contact still waits is based on that one's
 * result: two edits in a row on one phone are not a conflict. Queued operations are never changed
 * (one may be on its way to the server), which keeps exactly-once as simple as it was.
 */
function noteBase(op, waitingNotes, saved) {
  if (waitingNotes.length) return Math.max(...waitingNotes.map((note) => note.base_revision)) + 1;
  return Math.max(op.base_revision ?? 0, saved?.note_revision ?? 0);
}

/**
 * Queue writes: `ops` (without id and at, which are made here) and, in the same transaction, the
 * local contact they change. Answers the operations as queued; a flush follows.
 */
export async function queue(ops, contact = null) {
  const now = new Date().toISOString();
  const made = (Array.isArray(ops) ? ops : [ops]).map((op) => ({ id: crypto.randomUUID(), at: now, ...op }));
  // Each write belongs to the person who made it: on a shared phone, someone signing in later
  // never sends it as theirs.
  const account = state.me?.email ?? null;
  const db = await openDb();
  const tx = db.transaction(["ops", "contacts"], "readwrite");
  const store = tx.objectStore("ops");
  const write = (waitingNotes, saved) => {
    for (const op of made) {
      if (op.kind === "note" && contact) {
        op.base_revision = noteBase(op, waitingNotes, saved);
        waitingNotes.push(op);
      }
      store.add({ op, contact: contact?.key ?? null, account });
    }
    if (contact) tx.objectStore("contacts").put({ ...contact, account, updatedAt: now });
  };
  if (contact && made.some((op) => op.kind === "note")) {
    // Read what waits in this same transaction, so a flush cannot settle it in between.
    const waiting = store.getAll();
    const saved = tx.objectStore("contacts").get(contact.key);
    saved.onsuccess = () => {
      const mine = waiting.result.filter((record) => record.contact === contact.key && record.account === account);
      write(mine.filter((record) => record.op.kind === "note").map((record) => record.op), saved.result);
    };
  } else {
    write([], null);
  }
  await done(tx);
  notify();
  flush();
  return made;
}

const LEARNED = ["connection", "attendee", "card", "mutual", "note", "note_revision", "tags"];

/**
 * The contact as a final answer leaves it. While later writes of it still wait, its own note and
 * tags are newer than the answer and stay, and a removal does not hide a contact saved again.
 */
function learn(contact, op, result, reason, stillWaiting) {
  if (result.status !== "applied") return op.kind === "scan" ? { ...contact, rejected: reason } : contact;
  if (reason === "removed") return stillWaiting ? contact : { ...contact, removed: true };
  const next = { ...contact };
  for (const name of LEARNED) {
    if (stillWaiting && (name === "note" || name === "tags")) continue;
    if (result[name] !== undefined && result[name] !== null) next[name] = result[name];
  }
  return next;
}

async function settle(batch, results) {
  const byId = new Map(results.map((result) => [String(result.id).toLowerCase(), result]));
  const answered = batch
    .map((record) => ({ record, result: byId.get(record.op.id.toLowerCase()) }))
    .filter(({ result }) => result); // no answer for it: keep it for the next flush
  const db = await openDb();
  const tx = db.transaction(["ops", "failed", "contacts"], "readwrite");
  const contacts = tx.objectStore("contacts");
  const now = new Date().toISOString();
  const byContact = new Map();
  for (const { record, result } of answered) {
    tx.objectStore("ops").delete(record.seq);
    const reason = result.reason === "duplicate" ? result.original_reason || result.reason : result.reason;
    if (result.status !== "applied") {
      tx.objectStore("failed").put({
        id: record.op.id,
        op: record.op,
        account: record.account,
        reason,
        field: result.field ?? null,
        detail: result.detail ?? null,
        failedAt: now,
      });
    }
    if (record.contact) {
      const answers = byContact.get(record.contact) ?? [];
      answers.push({ op: record.op, result, reason });
      byContact.set(record.contact, answers);
    }
  }
  // Read after the deletes above: what is left waits for a later flush.
  const left = tx.objectStore("ops").getAll();
  left.onsuccess = () => {
    const waiting = new Set(left.result.map((record) => record.contact));
    for (const [key, answers] of byContact) {
      const request = contacts.get(key);
      request.onsuccess = () => {
        if (!request.result) return;
        let contact = request.result;
        for (const { op, result, reason } of answers) contact = learn(contact, op, result, reason, waiting.has(key));
        contacts.put({ ...contact, updatedAt: now });
      };
    }
  };
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
  retryTimer = setTimeout(() => {
    retryTimer = null;
    flush();
  }, backoffMs + jitter);
}

function noBackoff() {
  backoffMs = 0;
  clearTimeout(retryTimer);
  retryTimer = null;
}

/** A request refused whole, narrowed to one operation: that one cannot be sent as it is. */
function refusedAlone(record, error) {
  const reason = error.status === 413 ? "too_large" : "invalid";
  return { id: record.op.id, status: "rejected", reason, field: error.field, detail: error.detail };
}

const REFUSED_WHOLE = new Set([400, 413, 422]);

/** Whether the server refuses even an empty request of this shape. */
async function requestShapeRefused() {
  try {
    await api("POST", "/api/sync", { operations: [], account: state.me.email });
    return false;
  } catch (error) {
    return true;
  }
}

async function flushNow() {
  let size = BATCH;
  for (;;) {
    const batch = await oldest(size);
    if (!batch.length) break;
    let answer;
    try {
      const operations = batch.map((record) => record.op);
      answer = await api("POST", "/api/sync", { operations, account: state.me.email });
    } catch (error) {
      if (REFUSED_WHOLE.has(error.status)) {
        // Too large, or something in it cannot even be read: halve until the culprit is alone.
        if (batch.length > 1) {
          size = Math.ceil(batch.length / 2);
          continue;
        }
        // Alone and still refused: it is at fault only if the request itself is fine (a server
        // of another version could refuse the request's shape, and then nothing is to blame).
        if (await requestShapeRefused()) {
          retryLater();
          return;
        }
        await settle(batch, [refusedAlone(batch[0], error)]);
        await notify();
        continue;
      }
      if (error.code === "account_mismatch") {
        // Signed in as someone else meanwhile (another tab): find out who, then send theirs.
        outboxEvents.dispatchEvent(new CustomEvent("account"));
        return;
      }
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
    noBackoff();
    size = Math.min(BATCH, size * 2);
    await settle(batch, answer.results ?? []);
    outboxEvents.dispatchEvent(new CustomEvent("settled"));
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
  noBackoff();
  notify();
  flush();
}

let started = false;
/** Flush on start, on `online`, when the page becomes visible, and on a timer. */
export function startOutbox() {
  if (started) return;
  started = true;
  window.addEventListener("online", () => {
    noBackoff();
    flush();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flush();
  });
  // The timer is a safety net: it waits out a back-off or a sign-in rather than cut them short.
  setInterval(() => {
    if (!signInNeeded && !retryTimer) flush();
  }, TIMER_MS);
  notify();
  flush();
}

// The offline directory: cards found by HMAC-SHA256(salt, token) and sealed with the token, for
// scans without a network.

/** Fetch and keep the directory of `event` (when online; failures keep the previous copy). */
export async function saveDirectory(event) {
  const account = state.me?.email;
  const directory = await api("GET", `/api/events/${encodeURIComponent(event)}/directory`);
  if (!account || account !== state.me?.email) return directory; // signed out meanwhile
  const db = await openDb();
  const tx = db.transaction("directories", "readwrite");
  tx.objectStore("directories").put({ ...directory, account, event, savedAt: new Date().toISOString() });
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

async function hmac(salt, message) {
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

/** The card for `token` from a saved directory: {event, attendee, card, isMe}, or null. */
export async function lookUpOffline(token) {
  const normalized = normalizeToken(token);
  if (!normalized || !crypto.subtle) return null;
  for (const directory of (await readAll("directories")).filter((saved) => saved.account === state.me?.email)) {
    const salt = fromBase64url(directory.salt);
    const key = toBase64url((await hmac(salt, normalized)).slice(0, directory.key_bytes));
    const entry = directory.entries.find((candidate) => candidate.key === key);
    if (entry) {
      const { attendee, card } = await openEntry(salt, entry, normalized);
      return { event: directory.event, attendee, card, isMe: attendee === directory.me };
    }
  }
  return null;
}
