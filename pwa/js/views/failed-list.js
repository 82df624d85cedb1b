// "Could not sync": an event's writes the server refused for good, each with its reason, to dismiss.
import { h, newId } from "../dom.js";
import { reasonKey } from "../i18n.js";
import { couldNotSync, dismissFailed } from "../outbox/queue.js";
import { state } from "../state.js";

function when(iso) {
  return new Intl.DateTimeFormat(state.language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

/**
 * The list for `slug` (only operations of `kinds`, when given; `describe(item)` may add who or
 * what it was about, as text); draw() after a sync.
 */
export function failedList(slug, kinds = null, describe = null) {
  const section = h("section", { class: "stack", "aria-labelledby": "failed-title", hidden: true });
  async function draw() {
    const failed = (await couldNotSync()).filter((item) => item.op.event === slug && (!kinds || kinds.includes(item.op.kind)));
    section.hidden = !failed.length;
    section.replaceChildren(
      h("h2", { id: "failed-title", tabindex: "-1", t: "sync.failed_title" }),
      h("p", { class: "muted", t: "sync.failed_intro" }),
      h(
        "ul",
        { class: "cards failed-list" },
        failed.map((item) => {
          const whatId = newId("failed");
          return h(
            "li",
            { class: "card" },
            h("p", { id: whatId, class: "failed-what", t: [`sync.kind.${item.op.kind}`, { when: when(item.op.at) }] }),
            describe?.(item) ? h("p", { class: "failed-who", text: describe(item) }) : null,
            h("p", { class: "failed-reason", t: reasonKey(item.reason) }),
            item.field ? h("p", { class: "muted", t: ["sync.field", { field: item.field }] }) : null,
            h("button", {
              type: "button",
              t: "sync.dismiss",
              // Each Dismiss says which change it dismisses.
              "aria-describedby": whatId,
              on: {
                click: async () => {
                  await dismissFailed(item.id);
                  await draw();
                  const next = section.hidden ? document.querySelector("h1") : section.querySelector("h2");
                  next?.focus();
                },
              },
            }),
          );
        }),
      ),
    );
  }
  draw();
  return { el: section, draw };
}
