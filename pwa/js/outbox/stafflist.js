// The check-in phone's staff list: names, organization and badge status of an event's people,
// kept on the phone so every scan is answered at once, with or without a network. Badges are
// found by the same keyed hash of the token as the offline directory (see api/checkin/service.py).
//
// What this phone checked in itself is kept apart ("checkins" store), so "already" holds offline
// and an undo can name the check-in it undoes.
import { getIfChanged } from "../api.js";
import { state } from "../state.js";
import { asPromise, done, openDb } from "./storage.js";
import { fromBase64url, hmac, toBase64url } from "./directory.js";

/** A list checked this recently is used as it is; the scanner never waits for it. */
export const LIST_REFRESH_MS = 2 * 60_000;
const KEY_BYTES = 16;

export async function savedList(event) {
  const account = state.me?.email;
  if (!account) return null;
  const db = await openDb();
  return (await asPromise(db.transaction("stafflists").objectStore("stafflists").get([account, event]))) ?? null;
}

/** Fetch the list when the copy is older than LIST_REFRESH_MS (or `force`); answers the copy. */
export async function refreshList(event, { force = false } = {}) {
  const account = state.me?.email;
  const saved = await savedList(event);
  const age = saved?.checkedAt ? Date.now() - Date.parse(saved.checkedAt) : Infinity;
  if (!account || (!force && age < LIST_REFRESH_MS)) return saved;
  // Sent with the copy's ETag: an unchanged list is a 304, not every name again.
  const answer = await getIfChanged(`/api/events/${encodeURIComponent(event)}/checkin/list`, saved?.etag);
  if (account !== state.me?.email) return saved; // someone else signed in meanwhile
  const checkedAt = new Date().toISOString();
  const list = answer.changed ? { ...answer.data, etag: answer.etag, account, event, checkedAt } : { ...saved, checkedAt };
  const db = await openDb();
  const tx = db.transaction("stafflists", "readwrite");
  tx.objectStore("stafflists").put(list);
  await done(tx);
  return list;
}

/** The list's people by id and badges by key, made once per list. */
export function indexList(list) {
  const people = new Map(list.people.map(([id, name, organization, checked]) => [id, { id, name, organization, checked }]));
  const badges = new Map(list.badges.map(([key, attendee, revoked]) => [key, { attendee, revoked }]));
  const sessions = new Map(list.sessions.map((session) => [String(session.id), session]));
  return { ...list, people, badges, sessions, salt: fromBase64url(list.salt) };
}

export async function badgeKey(index, token) {
  return toBase64url((await hmac(index.salt, token)).slice(0, KEY_BYTES));
}

/** Check-ins made on this phone for `event`, by me, not undone. */
export async function localCheckins(event) {
  const account = state.me?.email;
  const db = await openDb();
  const all = await asPromise(db.transaction("checkins").objectStore("checkins").getAll());
  return all.filter((record) => record.account === account && record.event === event && !record.undone);
}

export async function keepCheckin(record) {
  const db = await openDb();
  const tx = db.transaction("checkins", "readwrite");
  tx.objectStore("checkins").put({ ...record, account: state.me?.email });
  await done(tx);
}

export async function markUndone(id) {
  const db = await openDb();
  const tx = db.transaction("checkins", "readwrite");
  const store = tx.objectStore("checkins");
  const found = store.get(id);
  found.onsuccess = () => {
    if (found.result) store.put({ ...found.result, undone: true });
  };
  await done(tx);
}

/**
 * The answer the phone gives before (or without) the server's: {outcome, person, firstAt}.
 * `who` is {token} or {attendee}; `place` is "entrance" or a session id. The same rules as the
 * server (api/checkin/operations.py): badge outcomes, restricted sessions, then already or not.
 */
export async function judge(index, local, who, place) {
  let person = null;
  if (who.token) {
    const badge = index.badges.get(await badgeKey(index, who.token));
    if (!badge) return { outcome: "unknown_badge" };
    if (badge.attendee === null) return { outcome: "deleted_account" };
    person = index.people.get(badge.attendee) ?? null;
    if (!person) return { outcome: "deleted_account" };
    if (badge.revoked) return { outcome: "revoked", person };
  } else {
    person = index.people.get(who.attendee) ?? null;
    if (!person) return { outcome: "unknown_attendee" };
  }
  const session = place === "entrance" ? null : index.sessions.get(String(place));
  if (session?.restricted && !(session.registered ?? []).includes(person.id)) return { outcome: "not_registered", person };
  const times = [person.checked[String(place)], ...local.filter((c) => c.attendee === person.id && String(c.place) === String(place)).map((c) => c.at)]
    .filter(Boolean)
    .sort();
  return times.length ? { outcome: "already", person, firstAt: times[0] } : { outcome: "checked_in", person };
}

/**
 * Remove what a check-in phone kept for `account` (all its events, or only `event`): the list
 * holds names in the clear, so it goes when the person signs out or stops being staff.
 */
export async function forgetStaffLists(account, event = null) {
  const db = await openDb();
  const tx = db.transaction(["stafflists", "checkins"], "readwrite");
  for (const name of ["stafflists", "checkins"]) {
    const cursor = tx.objectStore(name).openCursor();
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (!at) return;
      if (at.value.account === account && (event === null || at.value.event === event)) at.delete();
      at.continue();
    };
  }
  await done(tx);
}
