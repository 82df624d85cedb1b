// My connections (search, tag filter, note, remove; offline, what this phone knows), who connected
// with me (connect back), and the operations that could not sync, with their reasons.
import { ApiError, api, getKept } from "../api.js";
import { announce, confirmDialog, h, newId } from "../dom.js";
import { t } from "../i18n.js";
import { keyOf, phoneContacts, saveConnectionList, savedConnectionList } from "../outbox/contacts.js";
import { savedKit } from "../outbox/directory.js";
import { queue } from "../outbox/queue.js";
import { outboxEvents } from "../outbox/storage.js";
import { cardInLanguage } from "../starters.js";
import { state } from "../state.js";
import { badgeCard } from "./badge.js";
import { failedList } from "./failed-list.js";
import { PRESET_TAGS, noteForm, tagLabel, target } from "./contact-form.js";

function when(iso) {
  return new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/** Case-, accent- and space-blind text, as the server compares search words and tags. */
function comparable(text) {
  return String(text ?? "")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * One list from the server's (fetched, or kept on this phone, as of `asOf`) and the contacts saved
 * on this phone, matched by their one key (the attendee's). Whichever is newer wins for note and
 * tags (a write waiting to sync always is); a contact removed here is left out; one saved here
 * that the list does not have yet is added, newest first. Each row: {contact (the record to edit
 * through), met (the server's row), pending}.
 */
function mergeContacts(slug, server, asOf, { contacts, pending }) {
  const newer = (saved) => pending.has(saved.key) || (saved.updatedAt ?? "") > asOf;
  const byKey = new Map(contacts.map((saved) => [saved.key, saved]));
  const rows = [];
  for (const met of server) {
    let contact = {
      key: keyOf(slug, { attendee: met.attendee }),
      event: slug,
      connection: met.id,
      attendee: met.attendee,
      card: met.card,
      mutual: met.mutual,
      note: met.note,
      note_revision: met.note_revision,
      tags: met.tags,
    };
    const saved = byKey.get(contact.key);
    byKey.delete(contact.key);
    if (saved) {
      const revision = Math.max(saved.note_revision ?? 0, met.note_revision);
      if (!newer(saved)) contact = { ...saved, ...contact, removed: false, note_revision: revision };
      else if (saved.removed) continue;
      else contact = { ...saved, connection: met.id, card: met.card, mutual: met.mutual || saved.mutual, note_revision: revision };
    }
    rows.push({ contact, met, pending: pending.has(contact.key) });
  }
  const onlyHere = [...byKey.values()]
    .filter((saved) => newer(saved) && !saved.removed && !saved.rejected)
    .sort((a, b) => ((a.updatedAt ?? "") < (b.updatedAt ?? "") ? 1 : -1))
    .map((saved) => ({ contact: saved, met: null, pending: pending.has(saved.key) }));
  return [...onlyHere, ...rows];
}

function matches({ contact }, words, tag) {
  const tags = contact.tags ?? [];
  if (tag && !tags.some((candidate) => comparable(candidate) === comparable(tag))) return false;
  const text = `${contact.card?.name ?? ""} ${contact.card?.organization ?? ""} ${contact.note ?? ""}`;
  return !words || comparable(text).includes(words);
}

/**
 * Redraw `section` with `draw` without losing the person's place: nothing while they type in it;
 * details that were open stay open, and focus inside returns to the same card (by data-key).
 */
function redrawKeepingPlace(section, draw) {
  const active = section.contains(document.activeElement) ? document.activeElement : null;
  if (active && ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName) && active.closest("[data-key]")) return;
  const keyOf = (el) => el.closest("[data-key]")?.dataset.key;
  const open = new Set([...section.querySelectorAll("details[open]")].map(keyOf));
  const focused = active ? keyOf(active) : undefined;
  draw();
  for (const card of section.querySelectorAll("[data-key]")) {
    const details = card.querySelector("details");
    if (details && open.has(card.dataset.key)) details.open = true;
    if (focused !== undefined && card.dataset.key === focused) (details?.open ? details.querySelector("summary") : card).focus();
  }
}

/** One of my connections: what I know of them, my note and tags (editable), and Remove. */
function connectionItem(slug, row, { onSaved, onRemoved, readable, drawn }) {
  const facts = h("div", { class: "stack connection-facts" });
  function drawFacts() {
    const { contact, met, pending } = row;
    const tags = contact.tags ?? [];
    facts.replaceChildren(
      ...[
        contact.card ? badgeCard(readable(contact.card), { nameTag: "h3" }) : h("h3", { class: "card-name", t: "connections.unnamed" }),
        met && met.scan_count > 0
          ? h("p", { class: "muted", t: ["connections.met", { count: met.scan_count, first: when(met.first_met_at), last: when(met.last_met_at) }] })
          : null,
        met && met.scan_count === 0
          ? h("p", { class: "muted", t: ["connections.connected_back", { first: when(met.first_met_at) }] })
          : null,
        contact.mutual ? h("p", { class: "tag mutual", t: "connections.mutual" }) : null,
        pending ? h("p", { class: "tag pending", t: "connections.waiting" }) : null,
        contact.note ? h("p", { class: "note-text", dir: "auto", text: contact.note }) : null,
        tags.length ? h("ul", { class: "tags" }, tags.map((tag) => h("li", { class: "tag" }, tagLabel(tag)))) : null,
      ].filter(Boolean),
    );
  }
  drawFacts();
  drawn.set(row, drawFacts); // drawn again in another language (the note form stays as it is)
  const form = noteForm(row.contact, (next) => {
    Object.assign(row, { contact: next, pending: true });
    drawFacts();
    onSaved();
  });
  const name = row.contact.card?.name || t("connections.this_person");
  const remove = h("button", {
    type: "button",
    class: "danger",
    t: "connections.remove",
    tAttrs: { "aria-label": ["connections.remove_of", { name }] },
  });
  const item = h(
    "li",
    { class: "card connection", tabindex: "-1", "data-key": row.contact.key },
    facts,
    h("details", {}, h("summary", { t: "connections.edit" }), form),
    h("div", { class: "card-actions" }, remove),
  );
  let question = null;
  remove.addEventListener("click", () => {
    // Worded when asked: a note saved since the card was drawn goes with it too.
    question?.dialog.remove();
    const withNote = row.contact.note || row.contact.tags?.length;
    question = confirmDialog(
      "connections.remove_title",
      withNote ? "connections.remove_body_note" : "connections.remove_body",
      { name },
      "connections.remove_confirm",
      "connections.keep",
      { danger: true },
    );
    question.ask(removeNow);
  });
  async function removeNow() {
    remove.disabled = true;
    // Kept as removed (not deleted) so a list saved before the removal cannot bring it back.
    await queue({ kind: "remove", event: slug, ...target(row.contact) }, { ...row.contact, removed: true });
    announce("connections.removed");
    // Focus moves on to the next card (or the one before) rather than falling off the page.
    const neighbour = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    question?.dialog.remove();
    neighbour?.focus();
    onRemoved(row, Boolean(neighbour));
  }
  return item;
}

function connectedWithMe(slug, people) {
  return h(
    "ul",
    { class: "cards" },
    people.map((person) => {
      const actions = [];
      if (person.mutual) {
        actions.push(h("p", { class: "tag mutual", t: "connections.mutual" }));
      } else {
        const back = h("button", { type: "button", class: "primary", t: "connections.connect_back" });
        back.addEventListener("click", async () => {
          back.disabled = true;
          await queue({ kind: "connect_back", event: slug, attendee: person.attendee });
          const queued = h("p", { class: "tag", tabindex: "-1", t: "connections.connect_back_queued" });
          back.replaceWith(queued);
          queued.focus();
          announce("connections.connect_back_queued");
        });
        actions.push(back);
      }
      return h(
        "li",
        { class: "card", tabindex: "-1", "data-key": String(person.attendee) },
        badgeCard(person.card, { nameTag: "h3" }),
        h("p", { class: "muted", t: ["connections.connected_at", { when: when(person.first_met_at) }] }),
        h("div", { class: "card-actions" }, actions),
      );
    }),
  );
}

export async function render(container, { params }) {
  const [slug] = params;
  if (!state.me.events.some((event) => event.slug === slug)) throw new ApiError(404, { code: "event_not_found" });
  const failed = failedList(slug);
  const searchId = newId("search");
  const tagId = newId("tag");
  const search = h("input", { type: "search", id: searchId, autocomplete: "off" });
  const tagSelect = h("select", { id: tagId });
  const fromPhone = h("div", { class: "message", hidden: true });
  const results = h("div", { class: "stack" });
  const mine = h("section", { class: "stack", "aria-labelledby": "mine-title" });
  const theirs = h("section", { class: "stack", "aria-labelledby": "theirs-title" });
  const mineTitle = h("h2", { id: "mine-title", tabindex: "-1", t: "connections.mine_title" });
  const knownTags = new Set(PRESET_TAGS);
  let rows = [];

  function fillTags() {
    for (const row of rows) (row.contact.tags ?? []).forEach((tag) => knownTags.add(tag));
    const chosen = tagSelect.value;
    tagSelect.replaceChildren(
      h("option", { value: "", t: "connections.all_tags" }),
      ...[...knownTags].map((tag) =>
        PRESET_TAGS.includes(tag) ? h("option", { value: tag, t: `connections.tag.${tag}` }) : h("option", { value: tag, text: tag }),
      ),
    );
    tagSelect.value = chosen;
  }

  // The event's vocabulary from the phone's kit: a card's terms in the language shown, as the
  // card view shows them (see cardInLanguage).
  let kit = null;
  const drawn = new Map();
  const handlers = {
    readable: (card) => {
      try {
        return kit ? cardInLanguage(kit, card, state.language) : card;
      } catch {
        return card;
      }
    },
    drawn,
    onSaved: fillTags,
    onRemoved: (row, focusMoved) => {
      rows = rows.filter((other) => other !== row);
      if (!focusMoved) mineTitle.focus();
    },
  };

  /** Draw the rows that match the search and tag; answers how many are shown. */
  function drawMine() {
    const words = comparable(search.value);
    const shown = rows.filter((row) => matches(row, words, tagSelect.value));
    drawn.clear();
    redrawKeepingPlace(results, () =>
      results.replaceChildren(
        shown.length
          ? h("ul", { class: "cards" }, shown.map((row) => connectionItem(slug, row, handlers)))
          : h("p", { class: "muted", t: words || tagSelect.value ? "connections.none_found" : "connections.none" }),
      ),
    );
    return shown.length;
  }

  /** The server's list (kept for offline visits) or, offline, the one kept; with this phone's contacts. */
  async function loadMine() {
    const asked = new Date().toISOString();
    let server;
    let asOf = asked;
    try {
      server = await getKept(`/api/events/${slug}/connections`);
      fromPhone.hidden = true;
      saveConnectionList(slug, server, asked).catch(() => {}); // storage trouble: only offline visits miss it
    } catch (error) {
      if (error.code !== "offline") throw error;
      const saved = await savedConnectionList(slug).catch(() => null);
      server = saved?.list ?? [];
      asOf = saved?.savedAt ?? "";
      fromPhone.hidden = false;
      fromPhone.replaceChildren(
        h("p", { t: saved ? ["connections.from_phone", { when: when(saved.savedAt) }] : "connections.from_phone_only" }),
      );
    }
    rows = mergeContacts(slug, server, asOf, await phoneContacts(slug));
    fillTags();
    drawMine();
  }

  async function loadTheirs() {
    let people;
    try {
      people = await api("GET", `/api/events/${slug}/connected-with-me`);
    } catch (error) {
      if (error.code !== "offline") throw error;
      theirs.replaceChildren(h("h2", { id: "theirs-title", t: "connections.theirs_title" }), h("p", { class: "message", t: "connections.offline" }));
      return;
    }
    redrawKeepingPlace(theirs, () =>
      theirs.replaceChildren(
        h("h2", { id: "theirs-title", t: "connections.theirs_title" }),
        people.length ? connectedWithMe(slug, people) : h("p", { class: "muted", t: "connections.theirs_none" }),
      ),
    );
  }

  fillTags();
  const form = h(
    "form",
    { class: "stack search-form", role: "search" },
    h("div", { class: "field" }, h("label", { for: searchId, t: "connections.search" }), search),
    h("div", { class: "field" }, h("label", { for: tagId, t: "connections.tag_filter" }), tagSelect),
    h("div", { class: "actions" }, h("button", { type: "submit", t: "connections.search_button" })),
  );
  const filter = () => announce("connections.shown", { count: drawMine() });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filter();
  });
  tagSelect.addEventListener("change", filter);
  mine.append(mineTitle, fromPhone, form, results);
  container.append(
    h("h1", { tabindex: "-1", t: "connections.title" }),
    h(
      "div",
      { class: "card-actions" },
      h("a", { href: `/events/${slug}/scan`, class: "button", t: "scan.link" }),
      h("a", { href: `/events/${slug}/followups`, class: "button", t: "followups.link" }),
    ),
    failed.el,
    mine,
    theirs,
  );
  await Promise.all([loadMine(), loadTheirs()]);
  const onChange = () => failed.draw();
  // Once the server has answered, its lists are the news (mutual, removed, merged).
  const onSettled = () => {
    loadMine().catch(() => {});
    loadTheirs().catch(() => {});
  };
  const redrawCards = () => {
    for (const [row, draw] of drawn) if (rows.includes(row)) draw();
  };
  savedKit(slug)
    .then((found) => {
      kit = found;
      if (kit) redrawCards();
    })
    .catch(() => {});
  outboxEvents.addEventListener("change", onChange);
  outboxEvents.addEventListener("settled", onSettled);
  return {
    onLanguageChange: redrawCards,
    leave: () => {
      outboxEvents.removeEventListener("change", onChange);
      outboxEvents.removeEventListener("settled", onSettled);
    },
  };
}
