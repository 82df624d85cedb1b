// My private note and tags about one contact, saved through the outbox (works offline).
import { announce, h, newId } from "../dom.js";
import { queue } from "../outbox/queue.js";

/** Tags offered as checkboxes; stored as these values, shown translated. */
export const PRESET_TAGS = ["follow-up", "hiring", "partner"];

export function tagLabel(tag) {
  return PRESET_TAGS.includes(tag) ? h("span", { t: `connections.tag.${tag}` }) : h("span", { text: tag });
}

/** What names the connection in an operation: its id once known, else the badge scanned. */
export function target(contact) {
  return contact.connection ? { connection: contact.connection } : { scanned: contact.token };
}

/** Put what was typed in `from` (a note form) and not saved into `to`, a new form of the same contact. */
export function carryOver(from, to) {
  if (!from?.dataset.edited || !to) return;
  const controls = (form) => [...form.querySelectorAll("textarea, input")];
  const [before, after] = [controls(from), controls(to)];
  if (before.length !== after.length) return;
  before.forEach((control, index) => {
    if (control.type === "checkbox") after[index].checked = control.checked;
    else after[index].value = control.value;
  });
  to.dataset.edited = "true";
}

/** The note and tags form for `contact` (a local contact record); `onSaved(contact)` after queuing. */
export function noteForm(contact, onSaved) {
  let current = contact; // what the last save made of it, for the next one to compare with
  const noteId = newId("note");
  const hintId = newId("note-hint");
  const freeId = newId("tags-free");
  const freeHintId = newId("tags-free-hint");
  const note = h("textarea", { id: noteId, dir: "auto", rows: "4", maxlength: "5000", "aria-describedby": hintId, value: contact.note ?? "" });
  const tags = contact.tags ?? [];
  const boxes = PRESET_TAGS.map((tag) => h("input", { type: "checkbox", value: tag, checked: tags.includes(tag) }));
  const free = h("input", {
    type: "text",
    id: freeId,
    "aria-describedby": freeHintId,
    value: tags.filter((tag) => !PRESET_TAGS.includes(tag)).join(", "),
  });
  const form = h(
    "form",
    { class: "stack note-form", novalidate: true },
    h(
      "div",
      { class: "field" },
      h("label", { for: noteId, t: "connections.note_label" }),
      h("p", { id: hintId, class: "muted", t: "connections.note_hint" }),
      note,
    ),
    h(
      "fieldset",
      { class: "choice-group" },
      h("legend", { t: "connections.tags_legend" }),
      PRESET_TAGS.map((tag, index) => h("label", { class: "choice" }, boxes[index], tagLabel(tag))),
      h(
        "div",
        { class: "field" },
        h("label", { for: freeId, t: "connections.tags_free" }),
        h("p", { id: freeHintId, class: "muted", t: "connections.tags_free_hint" }),
        free,
      ),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", t: "connections.save_note" })),
  );
  // Typed and not saved yet: a redraw of the form (the save synced, the language changed) carries
  // it over instead of dropping it (see carryOver).
  form.addEventListener("input", () => {
    form.dataset.edited = "true";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    delete form.dataset.edited;
    const text = note.value;
    const chosen = [
      ...boxes.filter((box) => box.checked).map((box) => box.value),
      // Cut by characters, not UTF-16 units: half an emoji is not valid text to send.
      ...free.value.split(",").map((tag) => [...tag.trim()].slice(0, 40).join("")).filter(Boolean),
    ].filter((tag, index, all) => all.indexOf(tag) === index).slice(0, 20);
    const ops = [];
    const base = { event: current.event, ...target(current) };
    if (text !== (current.note ?? "")) {
      // The outbox bases it on a note edit still waiting, if there is one (see queue()).
      ops.push({ kind: "note", ...base, text, base_revision: current.note_revision ?? 0 });
    }
    if (chosen.join("\n") !== (current.tags ?? []).join("\n")) ops.push({ kind: "tags", ...base, tags: chosen });
    if (!ops.length) {
      announce("connections.nothing_changed");
      return;
    }
    const next = { ...current, note: text, tags: chosen };
    await queue(ops, next);
    current = next;
    announce("connections.note_saved");
    onSaved?.(next);
  });
  return form;
}
