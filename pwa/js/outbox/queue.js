// The outbox's queue: writes stored with their local change, replayed to POST /api/sync, and the
// answers applied (one flusher, back-off, the "could not sync" list).
//
// Each write gets its UUID when it is made and is stored in the same IndexedDB transaction as the
// local contact it changes. flush() sends the oldest first in batches, one flusher at a time (also
// across tabs, with the Web Locks API where there is one), and removes an operation only on a final
// answer: applied, or rejected (then kept in the "could not sync" store with its reason). Network
// errors, 401/403 (sign in again, then resume), 409, 429 and 5xx keep it and retry with back-off.
// A request refused whole (400, 413, 422) is split until the one operation at fault is found; it
// goes to "could not sync" and the rest are sent. Each write belongs to its author (see storage.js).
import { api } from "../api.js";
import { state } from "../state.js";
import { asPromise, contactKey, done, followMovedContacts, mine, onePerPerson, openDb, outboxEvents, readAll } from "./storage.js";

const BATCH = 100;
const TIMER_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

/** My writes waiting to sync, oldest first: {seq, op, contact (its key), account}. */
export async function waitingWrites() {
  return oldest(Infinity);
}

/**
 * How many people my waiting writes are about: a contact saved with a note and tags is one, as
 * is a person checked in and undone; the header says "changes for N people".
 */
export async function pendingCount() {
  const writes = await oldest(Infinity);
  const byId = new Map(writes.map((write) => [write.op.id, write]));
  return new Set(writes.map((write) => personOf(write, byId))).size;
}

function personOf({ op, contact, account }, byId) {
  if (contact) return `contact ${contact}`;
  const undone = op.kind === "checkin_undo" ? byId.get(op.checkin) : null;
  if (undone) return personOf(undone, byId);
  // My own: a check-in by a room's poster, all my reminders on or off.
  if (op.poster || (op.kind === "reminders" && op.connection == null)) return "me";
  if (op.kind === "checkin") return `checkin ${op.attendee ?? op.scanned ?? op.id}`;
  if (op.kind === "connect_back") return `contact ${contactKey(account, op.event, { attendee: op.attendee })}`;
  if (op.connection != null) return `connection ${op.connection}`;
  return `write ${op.id}`;
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
 * local contact they change (or another record, see `kept`). Answers the operations as queued; a
 * flush follows.
 */
export async function queue(ops, contact = null, { kept = null } = {}) {
  const now = new Date().toISOString();
  const made = (Array.isArray(ops) ? ops : [ops]).map((op) => ({ id: crypto.randomUUID(), at: now, ...op }));
  // Each write belongs to the person who made it: on a shared phone, someone signing in later
  // never sends it as theirs.
  const account = state.me?.email ?? null;
  const db = await openDb();
  // `kept(made)`: another local record ({store, value}) saved in the same transaction as the
  // writes (the check-in screen's own check-ins), so neither is ever kept without the other.
  const extra = kept ? kept(made) : null;
  const tx = db.transaction(["ops", "contacts", ...(extra ? [extra.store] : [])], "readwrite");
  if (extra) tx.objectStore(extra.store).put({ ...extra.value, account });
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
  // Read after the deletes above: what is left waits for a later flush. A contact the server now
  // names (saved offline by its badge alone) moves to its attendee's key, one record per person.
  const all = contacts.getAll();
  const left = tx.objectStore("ops").getAll();
  left.onsuccess = () => {
    const waiting = new Set(left.result.map((record) => record.contact));
    const learned = all.result.map((saved) => {
      const answers = byContact.get(saved.key);
      if (!answers) return saved;
      let contact = saved;
      for (const { op, result, reason } of answers) contact = learn(contact, op, result, reason, waiting.has(saved.key));
      return { ...contact, updatedAt: now };
    });
    const { records, moved } = onePerPerson(learned);
    const changed = new Set([...byContact.keys(), ...moved.values()]);
    for (const key of moved.keys()) contacts.delete(key);
    for (const record of records) if (changed.has(record.key)) contacts.put(record);
    followMovedContacts(tx, moved);
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
    outboxEvents.dispatchEvent(new CustomEvent("settled", { detail: { results: answer.results ?? [] } }));
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
