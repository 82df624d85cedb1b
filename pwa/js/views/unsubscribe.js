// A digest's unsubscribe link: says what it does, and stops follow-up e-mails with one button (no sign-in).
import { api } from "../api.js";
import { h, messageBox } from "../dom.js";

export async function render(container, { params }) {
  const [token] = params;
  const path = `/api/unsubscribe/${encodeURIComponent(token)}`;
  const heading = h("h1", { tabindex: "-1", t: "unsubscribe.title" });
  const message = messageBox();
  const body = h("div", { class: "stack" });
  container.append(heading, body, message.el);

  function showDone() {
    body.replaceChildren(h("p", { class: "lead", role: "status", t: "unsubscribe.done" }), h("p", { t: "unsubscribe.done_help" }));
  }

  let state;
  try {
    state = await api("GET", path);
  } catch (error) {
    body.replaceChildren(h("p", { t: "unsubscribe.bad_link" }));
    if (error.code !== "unknown_unsubscribe_link") message.error(error);
    return null;
  }
  if (state.unsubscribed) {
    showDone();
    return null;
  }
  // Never on load: mail scanners open links, and only the person should decide.
  const button = h("button", { type: "submit", class: "primary", t: "unsubscribe.button" });
  const form = h(
    "form",
    { class: "stack" },
    h("p", { t: "unsubscribe.explain" }),
    h("p", { class: "muted", t: "unsubscribe.keeps" }),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.clear();
    button.disabled = true;
    try {
      await api("POST", path);
      showDone();
      heading.focus();
    } catch (error) {
      button.disabled = false;
      message.error(error);
    }
  });
  body.replaceChildren(form);
  return null;
}
