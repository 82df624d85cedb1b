// The outbox's IndexedDB database: its stores, the upgrades that carry old data forward, and the
// notifications the outbox gives the page.
//
// Stores: "ops" (writes waiting to sync, oldest first), "failed" (writes refused for good, with the
// reason), "contacts" (my contacts as this phone knows them, one record per person) and
// "directories" (the sealed cards of each event, per account), "stafflists" (what a check-in phone
// keeps to answer offline, per account and event) and "checkins" (the check-ins made on this
// phone, for "already" and undo while offline). Everything kept here belongs to one
// account: it is stored with the signed-in person's e-mail and only ever shown or sent for them, so
// on a shared phone nobody sees or sends someone else's.
import { state } from "../state.js";

const DB_NAME = "enlace-outbox";
const DB_VERSION = 4;

/** Notifications: "change" (pending count or could-not-sync list changed), "settled" (the server
 * answered some operations, its answers in `detail.results`: what it lists changed), "signin" (sign in again), "account" (the
 * session is someone else's now), "blocked" (an older version in another tab holds the database). */
export const outboxEvents = new EventTarget();

/**
 * The one key of a contact: the other attendee's id once known, else the badge scanned (offline,
 * a badge whose card is not on the phone). A record keyed by its badge moves to the attendee's key
 * when the server names the person (see onePerPerson), so one person is one record.
 */
export function contactKey(account, event, { attendee = null, token = null }) {
  const who = attendee ? `attendee:${attendee}` : `badge:${token}`;
  return `${account ?? ""}|${event}|${who}`;
}

/** The key `record` belongs under. A version-2 record known only by its connection keeps its own. */
function keyFor(record) {
  if (!record.attendee && !record.token) return record.key;
  return contactKey(record.account, record.event, record);
}

/** One record from two of the same person: the newer one's values win, the older fills gaps. */
function mergeContacts(a, b) {
  const [older, newer] = (a.updatedAt ?? "") <= (b.updatedAt ?? "") ? [a, b] : [b, a];
  const merged = { ...older };
  for (const [name, value] of Object.entries(newer)) if (value !== undefined && value !== null) merged[name] = value;
  merged.note_revision = Math.max(older.note_revision ?? 0, newer.note_revision ?? 0);
  merged.removed = Boolean(newer.removed); // saved again after a removal, or removed after saving
  return merged;
}

/**
 * Each record under its one key (see contactKey), two records of one person merged into one.
 * Answers {records, moved}: the records as they should be stored, and old key → new key.
 */
export function onePerPerson(records) {
  const byKey = new Map();
  const moved = new Map();
  for (const record of records) {
    const key = keyFor(record);
    if (key !== record.key) moved.set(record.key, key);
    const next = { ...record, key };
    byKey.set(key, byKey.has(key) ? { ...mergeContacts(byKey.get(key), next), key } : next);
  }
  return { records: [...byKey.values()], moved };
}

/**
 * Point the waiting writes of moved contacts (old key → new key) at their new key, inside `tx`.
 * Only the local pointer changes; a queued operation itself never does (it may be on its way).
 */
export function followMovedContacts(tx, moved) {
  if (!moved.size) return;
  const cursor = tx.objectStore("ops").openCursor();
  cursor.onsuccess = () => {
    const at = cursor.result;
    if (!at) return;
    const to = moved.get(at.value.contact);
    if (to) at.update({ ...at.value, contact: to });
    at.continue();
  };
}

/**
 * Version 3: one key per contact. Version 2 keyed a contact by the badge scanned in one place
 * and by "#connection id" in another; each record moves to its attendee's key (or keeps its badge
 * when the person is not known yet), two records of one person become one, and the writes
 * waiting for them follow. Nothing queued is lost.
 */
function upgradeContactKeys(tx) {
  const contacts = tx.objectStore("contacts");
  const all = contacts.getAll();
  all.onsuccess = () => {
    const { records, moved } = onePerPerson(all.result);
    for (const key of moved.keys()) contacts.delete(key);
    for (const record of records) contacts.put(record);
    followMovedContacts(tx, moved);
  };
}

let dbPromise = null;
export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("failed", { keyPath: "id" });
          db.createObjectStore("contacts", { keyPath: "key" });
        }
        if (event.oldVersion < 2) {
          // Version 2: one directory per person and event (each holds who "me" is). Directories
          // are copies of the server's, fetched again when online.
          if (db.objectStoreNames.contains("directories")) db.deleteObjectStore("directories");
          db.createObjectStore("directories", { keyPath: ["account", "event"] });
        }
        if (event.oldVersion >= 1 && event.oldVersion < 3) upgradeContactKeys(request.transaction);
        if (event.oldVersion < 4) {
          db.createObjectStore("stafflists", { keyPath: ["account", "event"] });
          db.createObjectStore("checkins", { keyPath: "id" });
        }
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

export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function asPromise(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function readAll(store) {
  const db = await openDb();
  return asPromise(db.transaction(store).objectStore(store).getAll());
}

/** Whether a record kept here is the signed-in person's. Records without an account (none are
 * written any more) are nobody's: on a shared phone they could be anyone's. */
export function mine(record) {
  const account = state.me?.email;
  return Boolean(account) && record.account === account;
}
