// The connect page a badge's QR opens (/b/TOKEN): whose badge it is, or why it cannot be shown.
import { api } from "../api.js";
import { announce, h } from "../dom.js";
import { has, label, reasonKey } from "../i18n.js";
import { findContact, keyOf } from "../outbox/contacts.js";
import { lookUpOffline, refreshDirectory } from "../outbox/directory.js";
import { queue } from "../outbox/queue.js";
import { outboxEvents } from "../outbox/storage.js";
import { normalizeToken } from "../outbox/tokens.js";
import { cardInLanguage, startersFromKit } from "../starters.js";
import { state } from "../state.js";
import { badgeCard } from "./badge.js";
import { carryOver, noteForm } from "./contact-form.js";

/** A page that explains why the badge is not shown, with what to do next. */
function problem(titleKey, bodyKeys, actions) {
  return [
    h("h1", { tabindex: "-1", t: titleKey }),
    h(
      "div",
      { class: "message message-error", role: "alert" },
      bodyKeys.map((key, index) => h("p", { class: index ? "detail" : undefined, t: key })),
    ),
    h("div", { class: "actions" }, actions),
  ];
}

const homeLink = () => h("a", { class: "button", href: "/", t: "notfound.home" });

/** What to talk about: one to three starters, each with the reason it was chosen. */
function starters(list) {
  if (!list?.length) return [];
  return [
    h(
      "section",
      { class: "starters", "aria-labelledby": "starters-title" },
      h("h2", { id: "starters-title", t: "connect.starters_title" }),
      h(
        "ol",
        { class: "starter-list" },
        list.map((starter) =>
          h(
            "li",
            { class: "starter" },
            h("p", { class: "starter-text" }, starter.text),
            h("p", {
              class: "detail",
              t: [`connect.reason.${starter.reason.kind}`, { terms: starter.reason.terms.join(", ") }],
            }),
          ),
        ),
      ),
    ),
  ];
}

/** The scanned person: their card, what to talk about, then what later features add (notes). */
function person(scan) {
  const sections = [
    scan.event_name ? h("p", { class: "muted", t: ["connect.at_event", { event: scan.event_name }] }) : null,
    scan.offline ? h("p", { class: "message", t: "connect.offline_card" }) : null,
    badgeCard(scan.card, { nameTag: "h1" }),
    ...starters(scan.starters),
  ].filter(Boolean);
  if (scan.is_me) {
    sections.push(
      h(
        "div",
        { class: "message" },
        h("p", { t: "outcome.self_scan.reason" }),
        h("p", { class: "detail", t: "connect.own_badge_detail" }),
      ),
      h(
        "div",
        { class: "card-actions" },
        h("a", { class: "button", href: `/events/${scan.event}/badge`, t: "connect.my_badge" }),
        h("a", { class: "button", href: `/events/${scan.event}/profile`, t: "badge.edit_sharing" }),
      ),
    );
  }
  return sections;
}

/** What became of a saved contact: waiting, saved, mutual, or why it could not be saved. */
function savedStatus(contact) {
  if (contact.rejected) return reasonKey(contact.rejected);
  if (contact.mutual) return "connect.saved_mutual";
  if (contact.connection) return "connect.saved";
  return "connect.saved_waiting";
}

/** Save contact, then my note and tags; the state of its sync (waiting, mutual, could not sync). */
function contactSection(scan, token) {
  const { event } = scan;
  const section = h("section", { class: "stack contact", "aria-labelledby": "contact-title" });
  let drawn = "";
  let carryOn = false; // the save button was pressed: the note field takes the focus it had
  async function draw() {
    const saved = await findContact(event, { attendee: scan.attendee, token });
    const contact = saved?.removed ? null : saved; // removed from my connections: save it again
    const signature = JSON.stringify(contact);
    if (signature === drawn) return;
    const firstDraw = drawn === "";
    // Keep what the person is typing or choosing; they see the news when they leave the form.
    const busy = section.querySelector("form")?.contains(document.activeElement);
    if (!firstDraw && busy) {
      // The status line holds nothing of theirs: it says at once what became of the save, which
      // may answer after the note field took focus (in WebKit it usually does).
      const shown = section.querySelector(".contact-status");
      if (shown && contact) {
        label(shown, savedStatus(contact));
        shown.classList.toggle("message-error", Boolean(contact.rejected));
        shown.classList.toggle("message-success", !contact.rejected);
      }
      return;
    }
    const hadFocus = carryOn || section.contains(document.activeElement);
    carryOn = false;
    drawn = signature;
    const parts = [h("h2", { id: "contact-title", tabindex: "-1", t: "connect.contact_title" })];
    if (!contact) {
      const save = h("button", { type: "button", class: "primary", t: "connect.save_contact" });
      save.addEventListener("click", async () => {
        carryOn = true; // disabled, the button lets the focus fall to the page
        save.disabled = true;
        // The card (and, offline, whose it is) lets My connections list it before it syncs.
        const who = { attendee: scan.attendee ?? null, token };
        const record = { key: keyOf(event, who), event, ...who, card: scan.card, note: "", note_revision: 0, tags: [] };
        await queue({ kind: "scan", event, scanned: token }, record);
        announce("connect.saved_waiting");
        draw();
      });
      parts.push(h("p", { class: "muted", t: "connect.save_intro" }), h("div", { class: "actions" }, save));
    } else {
      const kind = contact.rejected ? "message-error" : "message-success";
      parts.push(h("p", { class: `message ${kind} contact-status`, role: "status", t: savedStatus(contact) }));
      if (!contact.rejected) parts.push(noteForm(contact, () => draw()));
    }
    carryOver(section.querySelector("form.note-form"), parts.at(-1)?.matches?.("form.note-form") ? parts.at(-1) : null);
    section.replaceChildren(...parts);
    // The button pressed is gone with the redraw: carry on where the next step is.
    if (hadFocus && !section.contains(document.activeElement)) {
      (section.querySelector("textarea") ?? section.querySelector("h2")).focus();
    }
  }
  section.addEventListener("focusout", (event) => {
    if (!section.contains(event.relatedTarget)) draw();
  });
  draw();
  const onChange = () => draw();
  outboxEvents.addEventListener("change", onChange);
  return { el: section, leave: () => outboxEvents.removeEventListener("change", onChange) };
}

/** The card from the directory saved for offline use, when the badge cannot be checked online. */
async function offlineScan(token) {
  const found = await lookUpOffline(token);
  if (!found) return null;
  let starters = [];
  try {
    if (found.kit && !found.isMe) starters = startersFromKit(found.kit, found.attendee, found.card, state.language);
  } catch {
    // A kit saved by an older version the engine cannot read: the card still opens, without them.
  }
  const card = readable(found.kit, found.card);
  return { event: found.event, attendee: found.attendee, card, is_me: found.isMe, starters, offline: true, kit: found.kit, typed: found.card };
}

/** The card's terms in the language shown, from the event's kit (as the server does online). */
function readable(kit, card) {
  try {
    return kit ? cardInLanguage(kit, card, state.language) : card;
  } catch {
    return card;
  }
}

/** The card and its starters again in the language just chosen: from the server, or offline from the kit. */
async function scanIn(scan, token) {
  try {
    const lang = encodeURIComponent(state.language);
    return await api("GET", `/api/badges/${encodeURIComponent(token)}?lang=${lang}`);
  } catch {
    // Offline now: from the kit, also for a card that was opened online.
    if (!scan.kit) return offlineScan(token).catch(() => null);
    try {
      const starters = scan.is_me ? [] : startersFromKit(scan.kit, scan.attendee, scan.typed, state.language);
      return { card: readable(scan.kit, scan.typed), starters };
    } catch {
      return null;
    }
  }
}

/** Replace the card and the starters shown (the note being typed below stays as it is). */
async function redrawInLanguage(container, scan, token) {
  const language = state.language;
  const fresh = await scanIn(scan, token);
  // Switched again meanwhile: the later switch draws.
  if (!fresh || language !== state.language) return;
  container.querySelector(".badge-card")?.replaceWith(badgeCard(fresh.card, { nameTag: "h1" }));
  const [next] = starters(fresh.starters);
  const shown = container.querySelector(".starters");
  if (shown && next) shown.replaceWith(next);
  else if (shown) shown.remove();
  else if (next) container.querySelector(".badge-card")?.after(next);
}

export async function render(container, { params, navigate }) {
  const [token] = params;
  let scan = null;
  try {
    const lang = encodeURIComponent(state.language);
    scan = await api("GET", `/api/badges/${encodeURIComponent(token)}?lang=${lang}`);
    refreshDirectory(scan.event).catch(() => {}); // if the copy is a few minutes old
  } catch (error) {
    if (error.code === "offline") scan = await offlineScan(token).catch(() => null);
    if (!scan && error.code === "offline") return savableOffline(container, token, navigate);
    if (!scan) return problemFor(container, error, navigate);
  }
  container.classList.add("connect");
  container.append(...person(scan));
  const normalized = normalizeToken(token);
  if (scan.is_me || !normalized) return null;
  const contact = contactSection(scan, normalized);
  container.append(contact.el);
  return { leave: contact.leave, onLanguageChange: () => redrawInLanguage(container, scan, token).catch(() => {}) };
}

/** The event a badge opened offline belongs to: the one scanned in, or my only event. */
function offlineEvent() {
  const named = new URLSearchParams(window.location.search).get("event");
  const mine = (state.me?.events ?? []).filter((event) => event.roles.includes("attendee"));
  if (named && mine.some((event) => event.slug === named)) return named;
  return mine.length === 1 ? mine[0].slug : null;
}

/**
 * Offline, a badge whose card is not on this phone (its owner keeps it off the offline cards, or
 * the cards were never saved): the contact can still be saved, and syncs (with the card, or a
 * reason it could not) once back online.
 */
function savableOffline(container, token, navigate) {
  const normalized = normalizeToken(token);
  const event = offlineEvent();
  if (!normalized || !event) return problemFor(container, { code: "offline" }, navigate);
  container.classList.add("connect");
  const contact = contactSection({ event, card: null }, normalized);
  const retry = h("button", {
    type: "button",
    t: "connect.retry",
    on: { click: () => navigate(window.location.pathname + window.location.search, { replace: true }) },
  });
  container.append(
    h("h1", { tabindex: "-1", t: "connect.offline_unknown_title" }),
    h("div", { class: "message" }, h("p", { t: "connect.offline_unknown_body" })),
    contact.el,
    h("div", { class: "actions" }, retry),
  );
  return { leave: contact.leave };
}

/** The badge outcomes the card view explains (the same codes as the outbox's reasons). */
const BADGE_OUTCOMES = new Set(["unknown_badge", "revoked", "deleted_account"]);

function problemFor(container, error, navigate) {
  if (BADGE_OUTCOMES.has(error.code)) {
    const advice = has(`outcome.${error.code}.advice`) ? [`outcome.${error.code}.advice`] : [];
    container.append(
      ...problem(`outcome.${error.code}.title`, [`outcome.${error.code}.reason`, ...advice], [homeLink()]),
    );
  } else if (error.code === "offline") {
    const retry = h("button", {
      type: "button",
      class: "primary",
      t: "connect.retry",
      on: { click: () => navigate(window.location.pathname, { replace: true }) },
    });
    container.append(...problem("connect.offline_title", ["connect.offline_body"], [retry]));
  } else {
    throw error; // signed out, server trouble: the app's own handling
  }
  return null;
}
