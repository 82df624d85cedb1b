// The screen for unknown addresses, and the message shown when a screen cannot load.
import { h } from "../dom.js";
import { errorMessage } from "../i18n.js";

export async function render(container) {
  container.append(
    h("h1", { tabindex: "-1", t: "notfound.title" }),
    h("p", { t: "notfound.body" }),
    h("p", {}, h("a", { class: "button", href: "/", t: "notfound.home" })),
  );
  return null;
}

/** Nodes explaining why a screen could not load (unknown event, offline, ...). */
export function failure(error) {
  const [key, vars] = errorMessage(error);
  return [
    h("h1", { tabindex: "-1", t: "failure.title" }),
    h("div", { class: "message message-error", role: "alert" }, h("p", { t: [key, vars] })),
    h("p", {}, h("a", { class: "button", href: "/", t: "notfound.home" })),
  ];
}
