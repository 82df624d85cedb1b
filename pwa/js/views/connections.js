// My connections (search, tag filter, note, remove), who connected with me (connect back), and
// the operations that could not sync, with their reasons.
import { ApiError, api } from "../api.js";
import { announce, h, newId } from "../dom.js";
import { couldNotSync, dismissFailed, outboxEvents, queue } from "../outbox.js";
import { state } from "../state.js";
import { badgeCard } from "./badge.js";
import { PRESET_TAGS, noteForm, tagLabel } from "./contact-form.js";

function when(iso) {
  return new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

function failedList(slug) {
  const section = h("section", { class: "stack", "aria-labelledby": "failed-title", hidden: true });
  async function draw() {
    const failed = (await couldNotSync()).filter((item) => item.op.event === slug);
    section.hidden = !failed.length;
    section.replaceChildren(
      h("h2", { id: "failed-title", t: "sync.failed_title" }),
      h("p", { class: "muted", t: "sync.failed_intro" }),
      h(
        "ul",
        { class: "cards failed-list" },
        failed.map((item) =>
          h(
            "li",
            { class: "card" },
            h("p", { class: "failed-what", t: [`sync.kind.${item.op.kind}`, { when: when(item.op.at) }] }),
            h("p", { class: "failed-reason", t: `sync.reason.${item.reason}` }),
            h("button", {
              type: "button",
              t: "sync.dismiss",
              on: { click: () => dismissFailed(item.id) },
            }),
          ),
        ),
      ),
    );
  }
  draw();
  return { el: section, draw };
}

function connectionItem(slug, connection, onRemoved) {
  const contact = {
    key: `${slug}|#${connection.id}`,
    event: slug,
    connection: connection.id,
    note: connection.note,
    note_revision: connection.note_revision,
    tags: connection.tags,
  };
  const detailsId = newId("edit");
  const remove = h("button", { type: "button", class: "danger", t: "connections.remove" });
  const item = h(
    "li",
    { class: "card connection" },
    badgeCard(connection.card, { nameTag: "h3" }),
    h(
      "p",
      { class: "muted" },
      h("span", { t: ["connections.met", { count: connection.scan_count, first: when(connection.first_met_at), last: when(connection.last_met_at) }] }),
    ),
    connection.mutual ? h("p", { class: "tag mutual", t: "connections.mutual" }) : null,
    connection.note ? h("p", { class: "note-text", text: connection.note }) : null,
    connection.tags.length ? h("ul", { class: "tags" }, connection.tags.map((tag) => h("li", { class: "tag" }, tagLabel(tag)))) : null,
    h("details", { id: detailsId }, h("summary", { t: "connections.edit" }), noteForm(contact)),
    h("div", { class: "card-actions" }, remove),
  );
  remove.addEventListener("click", async () => {
    remove.disabled = true;
    await queue({ kind: "remove", event: slug, connection: connection.id });
    announce("connections.removed");
    item.remove();
    onRemoved?.();
  });
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
          back.replaceWith(h("p", { class: "tag", t: "connections.connect_back_queued" }));
          announce("connections.connect_back_queued");
        });
        actions.push(back);
      }
      return h(
        "li",
        { class: "card" },
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
  const results = h("div", { class: "stack", "aria-live": "polite" });
  const mine = h("section", { class: "stack", "aria-labelledby": "mine-title" });
  const theirs = h("section", { class: "stack", "aria-labelledby": "theirs-title" });
  const knownTags = new Set(PRESET_TAGS);

  function fillTags() {
    const chosen = tagSelect.value;
    tagSelect.replaceChildren(
      h("option", { value: "", t: "connections.all_tags" }),
      [...knownTags].map((tag) =>
        PRESET_TAGS.includes(tag) ? h("option", { value: tag, t: `connections.tag.${tag}` }) : h("option", { value: tag, text: tag }),
      ),
    );
    tagSelect.value = chosen;
  }

  async function loadMine() {
    const query = new URLSearchParams({ q: search.value.trim(), tag: tagSelect.value });
    let list;
    try {
      list = await api("GET", `/api/events/${slug}/connections?${query}`);
    } catch (error) {
      if (error.code !== "offline") throw error;
      results.replaceChildren(h("p", { class: "message", t: "connections.offline" }));
      return;
    }
    for (const connection of list) connection.tags.forEach((tag) => knownTags.add(tag));
    fillTags();
    results.replaceChildren(
      list.length
        ? h("ul", { class: "cards" }, list.map((connection) => connectionItem(slug, connection)))
        : h("p", { class: "muted", t: search.value || tagSelect.value ? "connections.none_found" : "connections.none" }),
    );
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
    theirs.replaceChildren(
      h("h2", { id: "theirs-title", t: "connections.theirs_title" }),
      people.length ? connectedWithMe(slug, people) : h("p", { class: "muted", t: "connections.theirs_none" }),
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
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadMine();
  });
  tagSelect.addEventListener("change", () => loadMine());
  mine.append(h("h2", { id: "mine-title", t: "connections.mine_title" }), form, results);
  container.append(
    h("h1", { tabindex: "-1", t: "connections.title" }),
    h("p", {}, h("a", { href: `/events/${slug}/scan`, class: "button", t: "scan.link" })),
    failed.el,
    mine,
    theirs,
  );
  await Promise.all([loadMine(), loadTheirs()]);
  let lastPending = 0;
  const onChange = (event) => {
    failed.draw();
    const pending = event.detail?.pending ?? 0;
    const synced = lastPending > 0 && pending === 0;
    lastPending = pending;
    if (synced) {
      loadMine().catch(() => {});
      loadTheirs().catch(() => {});
    }
  };
  outboxEvents.addEventListener("change", onChange);
  return { leave: () => outboxEvents.removeEventListener("change", onChange) };
}
