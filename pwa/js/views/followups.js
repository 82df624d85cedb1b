// After the event: everyone I connected with, what to do about each (to do, done, snoozed; due
// reminders first), and for one person the drafted message to edit and send from my own apps.
// Status and reminder changes are outbox writes shown at once (waiting to sync); the list is kept
// on the phone for offline visits; drafts I edit stay on this phone. Enlace never sends them.
import { ApiError, api } from "../api.js";
import { announce, h, newId } from "../dom.js";
import { has, label } from "../i18n.js";
import { FOLLOWUP_KINDS, REMINDER_KINDS, addDays, dropDraft, editedDraft, keepDraft, loadFollowups, withWaiting } from "../outbox/followups.js";
import { savedKit } from "../outbox/directory.js";
import { queue, waitingWrites } from "../outbox/queue.js";
import { outboxEvents } from "../outbox/storage.js";
import { cardInLanguage } from "../starters.js";
import { state } from "../state.js";
import { PRESET_TAGS, tagLabel } from "./contact-form.js";
import { failedList } from "./failed-list.js";

const SHARED_FIELDS = ["role", "interests", "looking_for", "can_help_with", "email", "phone", "links"];
const SNOOZE_MAX_DAYS = 365;
const REMINDER_MAX_DAYS = 3 * 365;
// What the list shows and how, per event, kept while the app is open (back from a person keeps it).
const choices = new Map();

function when(iso) {
  return new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

function day(date) {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

const listPath = (slug) => `/events/${slug}/followups`;
const personPath = (slug, person) => `${listPath(slug)}/${person.connection}`;
const nameOf = (person) => person.card?.name || "—";

/** Due reminders first, then newest met first (the server's order). */
function ordered(people) {
  const due = (person) => person.reminders.some((r) => r.due_now);
  return [...people.filter(due), ...people.filter((person) => !due(person))];
}

function statusTag(person) {
  if (person.status === "snoozed") return h("p", { class: "tag status-snoozed", t: ["followups.status.snoozed", { date: day(person.snoozed_until) }] });
  return h("p", { class: `tag status-${person.status}`, t: `followups.status.${person.status}` });
}

function dueTags(person) {
  return person.reminders
    .filter((r) => r.due_now)
    .map((r) => h("p", { class: "tag due-now", t: ["followups.due_now", { what: { t: `followups.reminder.${r.kind}` } }] }));
}

/** The next reminder still to come, or that they are off. */
function nextReminder(person, allOff) {
  if (allOff || person.reminders_off) return h("p", { class: "muted", t: allOff ? "followups.reminders_all_off_short" : "followups.reminders_person_off" });
  const coming = person.reminders.filter((r) => r.on && r.due && !r.due_now).sort((a, b) => (a.due < b.due ? -1 : 1));
  const soonest = coming.find((r) => !person.done_at || r.due > person.done_at.slice(0, 10)) ?? coming[0];
  if (!soonest) return null;
  return h("p", { class: "muted", t: ["followups.next_reminder", { what: { t: `followups.reminder.${soonest.kind}` }, date: day(soonest.due) }] });
}

function metLine(person) {
  return person.scan_count > 0
    ? h("p", { class: "muted", t: ["connections.met", { count: person.scan_count, first: when(person.first_met_at), last: when(person.last_met_at) }] })
    : h("p", { class: "muted", t: ["connections.connected_back", { first: when(person.first_met_at) }] });
}

// The event's kit kept on this phone (its vocabulary): a card's terms in the language shown.
let kit = null;

function readable(card) {
  try {
    return kit && card ? cardInLanguage(kit, card, state.language) : card;
  } catch {
    return card;
  }
}

/** What the person shares (their card's shared fields), compactly. */
function shared(sharedCard) {
  const card = readable(sharedCard);
  const rows = [];
  for (const name of SHARED_FIELDS) {
    const value = card?.[name];
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) continue;
    const labelKey = has(`card.${name}`) ? `card.${name}` : `field.${name}`;
    rows.push(h("div", {}, h("dt", { t: labelKey }), h("dd", { dir: "auto", text: Array.isArray(value) ? value.join(", ") : value })));
  }
  return rows.length ? h("dl", { class: "shared-fields" }, rows) : null;
}

function aboutLines(person) {
  return [
    person.card?.organization ? h("p", { class: "card-org", dir: "auto", text: person.card.organization }) : null,
    shared(person.card),
    metLine(person),
    person.mutual ? h("p", { class: "tag mutual", t: "connections.mutual" }) : null,
    person.note ? h("div", { class: "note" }, h("p", { class: "note-label", t: "followups.note" }), h("p", { class: "note-text", dir: "auto", text: person.note })) : null,
    person.tags?.length ? h("ul", { class: "tags", "aria-label": null }, person.tags.map((tag) => h("li", { class: "tag" }, tagLabel(tag)))) : null,
    person.starter
      ? h("div", { class: "note" }, h("p", { class: "note-label", t: "followups.starter" }), h("p", { class: "note-text", text: person.starter.text }))
      : null,
  ].filter(Boolean);
}

/** Redraw `section` keeping focus on the control with the same data-focus, else on `fallback()`. */
function keepingFocus(section, draw, fallback) {
  const active = section.contains(document.activeElement) ? document.activeElement : null;
  const mark = active?.closest("[data-focus]")?.dataset.focus;
  draw();
  if (!active) return;
  const again = mark ? section.querySelector(`[data-focus="${CSS.escape(mark)}"]`) : null;
  (again ?? fallback?.())?.focus();
}

/** The days a reminder may be moved to: from the event's first day to three years after its last. */
function reminderRange(slug, list) {
  const event = state.me.events.find((candidate) => candidate.slug === slug);
  return { first: event?.starts_on ?? list.event.ends_on, last: addDays(list.event.ends_on, REMINDER_MAX_DAYS) };
}

/** Every write of this screen goes through the one outbox and is shown at once. */
async function write(slug, op, announcement) {
  await queue({ event: slug, ...op });
  announce(announcement, { waiting: { t: navigator.onLine ? "followups.syncing" : "followups.waiting_offline" } });
}

function statusActions(slug, person, { list = false, redraw }) {
  const done = person.status === "done";
  const mark = h("button", {
    type: "button",
    class: done || list ? undefined : "primary",
    "data-focus": `mark-${person.connection}`,
    t: done ? "followups.mark_todo" : "followups.mark_done",
    "aria-describedby": list ? `name-${person.connection}` : undefined,
  });
  let sent = false; // one write per tap, also on a double tap (disabling it would drop its focus)
  mark.addEventListener("click", async () => {
    if (sent) return;
    sent = true;
    const status = done ? "todo" : "done";
    await write(slug, { kind: "followup", connection: person.connection, status, until: null }, `followups.announce.${status}`);
    await redraw();
  });
  const buttons = [mark];
  if (person.status === "snoozed" && !list) {
    const wake = h("button", { type: "button", "data-focus": "wake", t: "followups.unsnooze" });
    wake.addEventListener("click", async () => {
      await write(slug, { kind: "followup", connection: person.connection, status: "todo", until: null }, "followups.announce.todo");
      await redraw();
    });
    buttons.push(wake);
  }
  return buttons;
}

/** Snooze: tomorrow, next week, or a day picked (after today, within a year). */
function snoozeForm(slug, person, { redraw, today }) {
  const dateId = newId("snooze-date");
  const errorId = newId("snooze-error");
  const picked = h("input", { type: "date", id: dateId, min: addDays(today, 1), max: addDays(today, SNOOZE_MAX_DAYS), "data-focus": "snooze-date" });
  const error = h("p", { id: errorId, class: "field-error", hidden: true });
  const snooze = async (until) => {
    await write(slug, { kind: "followup", connection: person.connection, status: "snoozed", until }, "followups.announce.snoozed");
    await redraw();
  };
  const quick = (key, days) =>
    h("button", { type: "button", "data-focus": `snooze-${days}`, t: [key, { date: day(addDays(today, days)) }], on: { click: () => snooze(addDays(today, days)) } });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    h(
      "fieldset",
      { class: "stack" },
      h("legend", { t: "followups.snooze_legend" }),
      h("div", { class: "actions actions-row" }, quick("followups.snooze_tomorrow", 1), quick("followups.snooze_week", 7)),
      h("div", { class: "field" }, h("label", { for: dateId, t: "followups.snooze_pick" }), picked, error),
      h("div", { class: "actions" }, h("button", { type: "submit", "data-focus": "snooze-pick", t: "followups.snooze_button" })),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = picked.value;
    if (!value || value <= today || value > addDays(today, SNOOZE_MAX_DAYS)) {
      picked.setAttribute("aria-invalid", "true");
      picked.setAttribute("aria-describedby", errorId);
      error.hidden = false;
      label(error, "followups.snooze_invalid", { first: day(addDays(today, 1)), last: day(addDays(today, SNOOZE_MAX_DAYS)) });
      picked.focus();
      return;
    }
    await snooze(value);
  });
  return form;
}

/** Each reminder of one person: its date (move it), off or on; and all of theirs off or on. */
function remindersPart(slug, person, { allOff, redraw, range }) {
  const items = REMINDER_KINDS.map((kind) => {
    const reminder = person.reminders.find((r) => r.kind === kind) ?? { kind, due: null, on: false, own: false, due_now: false };
    const dateId = newId("reminder-date");
    const titleId = newId("reminder-title");
    const errorId = newId("reminder-error");
    const error = h("p", { id: errorId, class: "field-error", hidden: true });
    const dateInput = h("input", { type: "date", id: dateId, value: reminder.due ?? "", min: range.first, max: range.last, "data-focus": `date-${kind}` });
    // Its own setting: under a switch that is off, the switch says so above.
    const stateText = !reminder.own
      ? h("p", { t: "followups.reminder_off" })
      : reminder.due_now
        ? h("p", { class: "tag due-now", t: ["followups.reminder_due_now", { date: day(reminder.due) }] })
        : h("p", { t: ["followups.reminder_on", { date: day(reminder.due) }] });
    const move = h("button", { type: "submit", "data-focus": `move-${kind}`, "aria-describedby": titleId, t: reminder.own ? "followups.reminder_move" : "followups.reminder_turn_on" });
    const off = reminder.own
      ? h("button", { type: "button", "data-focus": `off-${kind}`, "aria-describedby": titleId, t: "followups.reminder_turn_off" })
      : null;
    off?.addEventListener("click", async () => {
      await write(slug, { kind: "reminder", connection: person.connection, reminder: kind, due: null }, "followups.announce.reminder_off");
      await redraw();
    });
    const form = h(
      "form",
      { class: "stack reminder", novalidate: true },
      h("h3", { id: titleId, t: `followups.reminder.${kind}` }),
      h("p", { class: "muted", t: `followups.reminder_hint.${kind}` }),
      stateText,
      h("div", { class: "field" }, h("label", { for: dateId, t: "followups.reminder_date" }), dateInput, error),
      h("div", { class: "actions actions-row" }, move, off),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!dateInput.value || dateInput.value < range.first || dateInput.value > range.last) {
        dateInput.setAttribute("aria-invalid", "true");
        dateInput.setAttribute("aria-describedby", errorId);
        error.hidden = false;
        label(error, "followups.snooze_invalid", { first: day(range.first), last: day(range.last) });
        dateInput.focus();
        return;
      }
      await write(slug, { kind: "reminder", connection: person.connection, reminder: kind, due: dateInput.value }, "followups.announce.reminder_moved");
      await redraw();
    });
    return h("li", { class: "card" }, form);
  });
  const toggle = h("button", {
    type: "button",
    "data-focus": "person-reminders",
    t: person.reminders_off ? "followups.person_reminders_on" : "followups.person_reminders_off",
  });
  toggle.addEventListener("click", async () => {
    const off = !person.reminders_off;
    await write(slug, { kind: "reminders", connection: person.connection, off }, off ? "followups.announce.person_off" : "followups.announce.person_on");
    await redraw();
  });
  return [
    allOff ? h("p", { class: "message", t: "followups.reminders_all_off_here" }) : null,
    person.reminders_off ? h("p", { class: "message", t: "followups.reminders_person_off" }) : null,
    h("ul", { class: "cards" }, items),
    h("div", { class: "actions" }, toggle),
  ].filter(Boolean);
}

/** The message: subject and body to edit (kept on this phone), then mail app, share, copy. */
function messagePart(slug, person) {
  const suggested = person.draft;
  const edited = editedDraft(slug, person.connection);
  const subjectId = newId("subject");
  const bodyId = newId("body");
  const keptId = newId("kept");
  const subject = h("input", { type: "text", id: subjectId, value: edited?.subject ?? suggested.subject, maxlength: "300" });
  const body = h("textarea", { id: bodyId, rows: "10", value: edited?.body ?? suggested.body, "aria-describedby": keptId });
  const kept = h("p", { id: keptId, class: "muted", t: edited ? ["followups.draft_kept", { when: when(edited.savedAt) }] : "followups.draft_hint" });
  const mail = h("a", { class: "button primary", t: "followups.open_mail" });
  const share = h("button", { type: "button", t: "followups.share" });
  const copy = h("button", { type: "button", t: "followups.copy" });
  const reset = h("button", { type: "button", class: "link-button", t: "followups.draft_reset", hidden: !edited });
  const full = () => `${subject.value}\n\n${body.value}`;
  function updateMail() {
    if (!suggested.to) return;
    // RFC 6068: line breaks as CRLF, everything percent-encoded; the address keeps its "@".
    const enc = (text) => encodeURIComponent(text.replace(/\r?\n/g, "\r\n"));
    const to = suggested.to.split("@").map(encodeURIComponent).join("@");
    mail.href = `mailto:${to}?subject=${enc(subject.value)}&body=${enc(body.value)}`;
  }
  let saveTimer = null;
  function onEdit() {
    updateMail();
    reset.hidden = false;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      const ok = keepDraft(slug, person.connection, subject.value, body.value);
      label(kept, ok ? "followups.draft_saved" : "followups.draft_not_saved");
    }, 300);
  }
  subject.addEventListener("input", onEdit);
  body.addEventListener("input", onEdit);
  reset.addEventListener("click", () => {
    clearTimeout(saveTimer);
    dropDraft(slug, person.connection);
    subject.value = suggested.subject;
    body.value = suggested.body;
    updateMail();
    reset.hidden = true;
    label(kept, "followups.draft_hint");
    announce("followups.draft_was_reset");
    body.focus();
  });
  share.addEventListener("click", async () => {
    try {
      await navigator.share({ title: subject.value, text: full() });
    } catch (error) {
      if (error?.name !== "AbortError") announce("followups.share_failed");
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(full());
      announce("followups.copied");
    } catch {
      // No clipboard access (an older browser, or refused): select it for the phone's own Copy.
      body.focus();
      body.select();
      announce("followups.copy_select");
    }
  });
  updateMail();
  const actions = [];
  if (suggested.to) actions.push(mail);
  if (typeof navigator.share === "function") actions.push(share);
  actions.push(copy);
  return [
    h("p", { class: "muted", t: ["followups.draft_language", { language: { t: `followups.language.${suggested.language}` } }] }),
    suggested.to ? h("p", { t: ["followups.draft_to", { to: suggested.to }] }) : h("p", { class: "message", t: "followups.no_email" }),
    h("div", { class: "field" }, h("label", { for: subjectId, t: "followups.subject" }), subject),
    h("div", { class: "field" }, h("label", { for: bodyId, t: "followups.body" }), body),
    kept,
    h("div", { class: "actions" }, actions, reset),
    h("p", { class: "muted", t: "followups.never_sent" }),
  ];
}

/** The phone's copy in use: say so and since when. */
function fromPhoneNote(loaded) {
  return loaded.fromPhone ? h("div", { class: "message from-phone" }, h("p", { t: ["followups.from_phone", { when: when(loaded.savedAt) }] })) : null;
}

function exportsPart(slug) {
  const base = `/api/events/${encodeURIComponent(slug)}`;
  // File names built from parts, so no file name reads as a catalog key to the checks.
  const link = (name, type, key) => h("a", { class: "button", href: `${base}/${name}.${type}`, download: `${slug}-${name}.${type}`, t: key });
  return [
    h("p", { class: "muted", t: "followups.exports_hint" }),
    h(
      "div",
      { class: "actions" },
      link("connections", "vcf", "followups.export_vcard"),
      link("connections", "csv", "followups.export_csv"),
      link("reminders", "ics", "followups.export_ics"),
    ),
  ];
}

/**
 * My own follow-up e-mail as it would go out now (with my notes: shown to me only), opened on
 * demand in the language on screen. The organizer's preview uses made-up people.
 */
function myDigestPart(slug, optedOut) {
  const shown = h("div", { class: "stack", "aria-live": "polite" });
  const details = h("details", {}, h("summary", { t: "followups.digest_summary" }), shown);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    shown.replaceChildren(h("p", { class: "muted", t: "followups.digest_loading" }));
    try {
      const mine = await api("GET", `/api/events/${encodeURIComponent(slug)}/digest/mine?language=${state.language}`);
      shown.replaceChildren(
        h("p", { t: ["followups.digest_subject", { subject: mine.subject }] }),
        h("pre", { class: "digest-text", text: mine.text }),
      );
    } catch (error) {
      const key = error.code === "offline" ? "followups.digest_offline" : "followups.digest_failed";
      shown.replaceChildren(h("p", { class: "message", t: key }));
    }
  });
  const unsubscribed = optedOut ? h("p", { class: "message", t: "followups.digest_unsubscribed" }) : null;
  return [h("p", { class: "muted", t: "followups.digest_hint" }), unsubscribed, details].filter(Boolean);
}

async function renderPerson(container, slug, connection, loaded, { onLeave }) {
  const waiting = async () => withWaiting(loaded.list, await waitingWrites());
  let { list, pending } = await waiting();
  let person = list.followups.find((candidate) => candidate.connection === connection);
  if (!person) throw new ApiError(404, { code: "not_found" });
  choices.set(slug, { ...(choices.get(slug) ?? {}), opened: connection });

  const header = h("div", { class: "tags-row" });
  const statusSection = h("section", { class: "stack", "aria-labelledby": "status-title" });
  const remindersSection = h("section", { class: "stack", "aria-labelledby": "reminders-title" });
  const aboutSection = h("section", { class: "stack", "aria-labelledby": "about-title" });
  const statusTitle = () => statusSection.querySelector("h2");

  function draw() {
    header.replaceChildren(
      ...[statusTag(person), ...dueTags(person), pending.has(connection) ? h("p", { class: "tag pending", t: "connections.waiting" }) : null].filter(Boolean),
    );
    const today = list.today;
    keepingFocus(
      statusSection,
      () =>
        statusSection.replaceChildren(
          h("h2", { id: "status-title", tabindex: "-1", t: "followups.status_title" }),
          h("div", { class: "status-now" }, statusTag(person)),
          h("div", { class: "actions" }, statusActions(slug, person, { redraw })),
          snoozeForm(slug, person, { redraw, today }),
        ),
      statusTitle,
    );
    keepingFocus(
      remindersSection,
      () =>
        remindersSection.replaceChildren(
          h("h2", { id: "reminders-title", tabindex: "-1", t: "followups.reminders_title" }),
          ...remindersPart(slug, person, { allOff: list.reminders_off, redraw, range: reminderRange(slug, list) }),
        ),
      () => remindersSection.querySelector("h2"),
    );
    aboutSection.replaceChildren(h("h2", { id: "about-title", t: "followups.about_title" }), ...aboutLines(person));
  }
  async function redraw() {
    ({ list, pending } = await waiting());
    person = list.followups.find((candidate) => candidate.connection === connection) ?? person;
    draw();
  }
  draw();
  container.append(
    ...[
    h("p", {}, h("a", { href: listPath(slug), class: "back-link", t: "followups.back" })),
    h("h1", { tabindex: "-1", text: nameOf(person) }),
    fromPhoneNote(loaded),
    header,
    h("section", { class: "stack", "aria-labelledby": "message-title" }, h("h2", { id: "message-title", t: "followups.message_title" }), ...messagePart(slug, person)),
    statusSection,
    remindersSection,
    aboutSection,
    ].filter(Boolean),
  );
  return onLeave(redraw, async () => {
    const fresh = await loadFollowups(slug).catch(() => null);
    if (fresh) loaded = fresh;
    if (!loaded.fromPhone) container.querySelector(".from-phone")?.remove();
    await redraw();
  });
}

function personCard(slug, person, { pending, allOff, headingLevel, redraw }) {
  const due = person.reminders.some((r) => r.due_now);
  const nameId = `name-${person.connection}`;
  return h(
    "li",
    { class: `card followup${due ? " is-due" : ""}`, "data-key": String(person.connection) },
    h(headingLevel, { class: "card-name", id: nameId, dir: "auto" }, h("a", { href: personPath(slug, person), "data-focus": `open-${person.connection}`, text: nameOf(person) })),
    h(
      "div",
      { class: "tags-row" },
      ...[...dueTags(person), statusTag(person), pending.has(person.connection) ? h("p", { class: "tag pending", t: "connections.waiting" }) : null].filter(Boolean),
    ),
    ...aboutLines(person),
    nextReminder(person, allOff),
    h(
      "div",
      { class: "card-actions" },
      h("a", { class: "button primary", href: personPath(slug, person), "aria-describedby": nameId, t: "followups.open" }),
      statusActions(slug, person, { list: true, redraw }),
    ),
  );
}

function tagName(tag) {
  return PRESET_TAGS.includes(tag) ? { t: `connections.tag.${tag}` } : { text: tag };
}

async function renderList(container, slug, loaded, { onLeave }) {
  const chosen = { filter: "all", group: "newest", ...(choices.get(slug) ?? {}) };
  const failed = failedList(slug, FOLLOWUP_KINDS, (item) => {
    const person = loaded.list.followups.find((candidate) => candidate.connection === item.op.connection);
    return person ? nameOf(person) : null;
  });
  const summary = h("p", { class: "lead" });
  const results = h("div", { class: "stack" });
  const peopleTitle = h("h2", { id: "people-title", tabindex: "-1", t: "followups.people_title" });
  const allSwitch = h("div", { class: "stack" });
  let list;
  let pending;

  const radios = (name, legend, options) => {
    const group = h("fieldset", { class: "choice-group" }, h("legend", { t: legend }));
    for (const [value, key] of options) {
      const id = newId(name);
      const input = h("input", { type: "radio", name, id, value, checked: chosen[name] === value });
      input.addEventListener("change", () => {
        chosen[name] = value;
        choices.set(slug, { ...chosen, opened: null });
        const shown = drawPeople();
        announce("followups.shown", { count: shown });
      });
      group.append(h("div", { class: "choice" }, input, h("label", { for: id, t: key })));
    }
    return group;
  };

  /** Draw the people the filter keeps; answers how many are shown. */
  function drawPeople() {
    const people = ordered(list.followups).filter((person) => chosen.filter === "all" || person.reminders.some((r) => r.due_now));
    const dueCount = list.followups.filter((person) => person.reminders.some((r) => r.due_now)).length;
    label(summary, "followups.summary", { count: list.followups.length, due: dueCount });
    const options = { pending, allOff: list.reminders_off, redraw };
    let content;
    if (!list.followups.length) content = [h("p", { class: "muted", t: "followups.none" })];
    else if (!people.length) content = [h("p", { class: "muted", t: "followups.none_due" })];
    else if (chosen.group === "tag") {
      const groups = new Map();
      for (const person of people) {
        const tags = person.tags?.length ? person.tags : [""];
        for (const tag of tags) groups.set(tag, [...(groups.get(tag) ?? []), person]);
      }
      const names = [...groups.keys()].filter(Boolean).sort((a, b) => a.localeCompare(b, state.language));
      if (groups.has("")) names.push("");
      content = names.map((tag) =>
        h(
          "section",
          { class: "stack tag-group", "aria-label": null },
          h("h3", { class: "tag-title", ...(tag ? tagName(tag) : { t: "followups.no_tag" }) }),
          h("ul", { class: "cards" }, groups.get(tag).map((person) => personCard(slug, person, { ...options, headingLevel: "h4" }))),
        ),
      );
    } else {
      content = [h("ul", { class: "cards" }, people.map((person) => personCard(slug, person, { ...options, headingLevel: "h3" })))];
    }
    keepingFocus(results, () => results.replaceChildren(...content), () => peopleTitle);
    return people.length;
  }

  function drawSwitch() {
    const off = list.reminders_off;
    const toggle = h("button", { type: "button", "data-focus": "all-reminders", t: off ? "followups.all_reminders_on" : "followups.all_reminders_off" });
    toggle.addEventListener("click", async () => {
      await write(slug, { kind: "reminders", connection: null, off: !off }, off ? "followups.announce.all_on" : "followups.announce.all_off");
      await redraw();
    });
    keepingFocus(allSwitch, () =>
      allSwitch.replaceChildren(
        ...[
          h("p", { t: off ? "followups.reminders_all_off" : "followups.reminders_explained" }),
          pending.has("all") ? h("p", { class: "tag pending", t: "connections.waiting" }) : null,
          h("div", { class: "actions" }, toggle),
        ].filter(Boolean),
      ),
    );
  }

  async function redraw() {
    ({ list, pending } = withWaiting(loaded.list, await waitingWrites()));
    drawPeople();
    drawSwitch();
    failed.draw();
  }
  ({ list, pending } = withWaiting(loaded.list, await waitingWrites()));
  drawPeople();
  drawSwitch();

  const controls = h(
    "div",
    { class: "stack followup-controls" },
    radios("filter", "followups.filter_legend", [
      ["due", "followups.filter_due"],
      ["all", "followups.filter_all"],
    ]),
    radios("group", "followups.group_legend", [
      ["newest", "followups.group_newest"],
      ["tag", "followups.group_tag"],
    ]),
  );
  const event = state.me.events.find((candidate) => candidate.slug === slug);
  container.append(
    ...[
    h("h1", { tabindex: "-1", t: "followups.title" }),
    h("p", { class: "muted", text: event?.name ?? list.event.name }),
    fromPhoneNote(loaded),
    summary,
    failed.el,
    h("section", { class: "stack", "aria-labelledby": "people-title" }, peopleTitle, controls, results),
    h("section", { class: "stack", "aria-labelledby": "all-reminders-title" }, h("h2", { id: "all-reminders-title", t: "followups.reminders_title" }), allSwitch),
    h("section", { class: "stack", "aria-labelledby": "exports-title" }, h("h2", { id: "exports-title", t: "followups.exports_title" }), ...exportsPart(slug)),
    h("section", { class: "stack", "aria-labelledby": "my-digest-title" }, h("h2", { id: "my-digest-title", t: "followups.digest_title" }), ...myDigestPart(slug, list.digest_opted_out)),
    ].filter(Boolean),
  );
  // Back from a person: focus returns to them in the list.
  const opened = chosen.opened;
  choices.set(slug, { ...chosen, opened: null });
  const focusTarget = opened ? () => results.querySelector(`[data-focus="open-${opened}"]`) : null;
  return {
    ...onLeave(redraw, async () => {
      const fresh = await loadFollowups(slug).catch(() => null);
      if (fresh) loaded = fresh;
      if (!loaded.fromPhone) container.querySelector(".from-phone")?.remove();
      await redraw();
    }),
    focusTarget,
  };
}

export async function render(container, { params }) {
  const [slug, opened] = params;
  const event = state.me.events.find((candidate) => candidate.slug === slug);
  if (!event || !event.roles.includes("attendee")) throw new ApiError(404, { code: "event_not_found" });
  const loaded = await loadFollowups(slug);
  kit = await savedKit(slug).catch(() => null);
  if (!loaded) {
    container.append(
      h("h1", { tabindex: "-1", t: "followups.title" }),
      h("p", { class: "message", t: "followups.offline_nothing" }),
    );
    return null;
  }
  // Redraw as writes wait or settle; once the server has answered, its list is the news.
  const onLeave = (redraw, reload) => {
    const onChange = () => redraw().catch(() => {});
    const onSettled = () => reload().catch(() => {});
    outboxEvents.addEventListener("change", onChange);
    outboxEvents.addEventListener("settled", onSettled);
    return {
      leave: () => {
        outboxEvents.removeEventListener("change", onChange);
        outboxEvents.removeEventListener("settled", onSettled);
      },
      onLanguageChange: () => redraw().catch(() => {}),
    };
  };
  if (opened) return renderPerson(container, slug, Number(opened), loaded, { onLeave });
  return renderList(container, slug, loaded, { onLeave });
}
