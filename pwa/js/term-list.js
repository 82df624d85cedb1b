// A list of short terms (interests, needs, offers) edited with a text box, suggestions and remove buttons.
import { announce, h, newId } from "./dom.js";
import { labelAttribute } from "./i18n.js";

const MAX_TERMS = 30;

/**
 * termList({ name, labelKey, helpKey, values, datalistId, onChange })
 * answers { el, values(), commitPending() }.
 */
export function termList({ name, labelKey, helpKey, values, datalistId, onChange }) {
  let terms = [...values];
  const id = newId(name);
  const input = h("input", {
    type: "text",
    id,
    list: datalistId,
    maxlength: "120",
    autocomplete: "off",
    enterkeyhint: "done",
    "aria-describedby": `${id}-help`,
    "data-field": name,
  });
  const addButton = h("button", {
    type: "button",
    class: "secondary small",
    t: "terms.add",
    tAttrs: { "aria-label": ["terms.add_to", { list: { t: labelKey } }] },
  });
  const chips = h("ul", { class: "chips", "aria-live": "off" });

  function draw() {
    chips.replaceChildren(
      ...terms.map((term, index) => {
        const remove = h("button", { type: "button", class: "chip-remove" }, h("span", { "aria-hidden": "true", text: "×" }));
        labelAttribute(remove, "aria-label", "terms.remove", { term });
        remove.addEventListener("click", () => {
          terms.splice(index, 1);
          announce("terms.removed", { term });
          draw();
          onChange?.();
          input.focus();
        });
        return h("li", { class: "chip" }, h("span", { text: term }), remove);
      }),
    );
    chips.hidden = terms.length === 0;
  }

  function add() {
    const fresh = input.value
      .split(/[,;]/)
      .map((term) => term.trim().replace(/\s+/g, " "))
      .filter(Boolean);
    const known = new Set(terms.map((term) => term.toLocaleLowerCase()));
    for (const term of fresh) {
      if (!known.has(term.toLocaleLowerCase()) && terms.length < MAX_TERMS) {
        terms.push(term.slice(0, 120));
        known.add(term.toLocaleLowerCase());
      }
    }
    input.value = "";
    draw();
    onChange?.();
    if (fresh.length) announce("terms.added", { terms: fresh.join(", ") });
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (input.value.trim()) add();
    }
  });
  addButton.addEventListener("click", () => {
    add();
    input.focus();
  });
  draw();

  const el = h(
    "div",
    { class: "field term-list" },
    h("label", { for: id, t: labelKey }),
    h("p", { class: "help", id: `${id}-help`, t: helpKey }),
    chips,
    h("div", { class: "inline-input" }, input, addButton),
  );
  return {
    el,
    values: () => [...terms],
    /** Text typed but not yet added still counts when the form is saved. */
    commitPending() {
      if (input.value.trim()) add();
    },
  };
}
