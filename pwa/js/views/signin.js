// The sign-in screen: ask for a code by e-mail, type it, or confirm an e-mailed link (#t=...).
import { api } from "../api.js";
import { announce, announceError, h, messageBox } from "../dom.js";
import { clearFieldErrors, field, showApiFieldError, showFieldError } from "../fields.js";
import { state } from "../state.js";

function nextFromQuery() {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && /^\/(?![/\\])/.test(next) && next.length <= 200 ? next : null;
}

/** The token from an e-mailed link, removed from the address bar at once. */
function takeLinkToken() {
  const match = window.location.hash.match(/(?:^#|&)t=([A-Za-z0-9_-]+)/);
  if (!match) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  return match[1];
}

/**
 * A badge opened where nobody is signed in, on its way to sign-in: why, and the ways on. On an
 * iPhone the Camera opens a badge's QR in Safari, which keeps its sign-in apart from the app
 * installed on the home screen: someone signed in there lands here.
 */
function badgeNotice(next) {
  if (!next || !/^\/b\/[^/]+$/i.test(next.split("?")[0])) return null;
  const installed = window.matchMedia?.("(display-mode: standalone)").matches || navigator.standalone === true;
  return h(
    "section",
    { class: "message", "aria-labelledby": "badge-notice-title" },
    h("h2", { id: "badge-notice-title", t: "signin.badge_title" }),
    h("p", { class: "detail", t: "signin.badge_body" }),
    installed ? null : h("p", { class: "detail", t: "signin.badge_app" }),
  );
}

export async function render(container, { signedIn }) {
  const token = takeLinkToken();
  const next = nextFromQuery();
  const message = messageBox();
  const heading = h("h1", { tabindex: "-1", t: "signin.title" });
  const body = h("div", { class: "stack" });
  const notice = token || state.me ? null : badgeNotice(next);
  container.append(...[heading, notice, body, message.el].filter(Boolean));

  if (state.me && !token) {
    body.append(
      h("p", { t: ["signin.already", { email: state.me.email }] }),
      h("p", {}, h("a", { class: "button", href: next || "/", t: "signin.continue" })),
    );
    return null;
  }

  function showLinkStep() {
    message.clear();
    const button = h("button", { type: "submit", class: "primary", t: "signin.link_button" });
    const form = h(
      "form",
      { class: "stack", novalidate: true },
      h("p", { t: "signin.link_intro" }),
      h("div", { class: "actions" }, button),
    );
    // Never redeem on load: mail scanners open links, and the token works only once.
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        await signedIn(await api("POST", "/api/auth/verify-link", { token }));
      } catch (error) {
        button.disabled = false;
        message.error(error);
        if (error.code === "invalid_link") showEmailStep("", { keepMessage: true });
      }
    });
    body.replaceChildren(form);
  }

  function showEmailStep(email = "", { keepMessage = false } = {}) {
    if (!keepMessage) message.clear();
    const input = h("input", {
      type: "email",
      name: "email",
      autocomplete: "email",
      inputmode: "email",
      required: true,
      maxlength: "320",
      value: email,
    });
    const button = h("button", { type: "submit", class: "primary", t: "signin.send" });
    const form = h(
      "form",
      { class: "stack", novalidate: true },
      h("p", { t: "signin.intro" }),
      field("email", "signin.email", input, { help: "signin.email_help" }),
      h("div", { class: "actions" }, button),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      message.clear();
      const value = input.value.trim();
      if (!value || !input.validity.valid) {
        showFieldError(input, "error.invalid_email");
        announce("error.invalid_email");
        input.focus();
        return;
      }
      button.disabled = true;
      try {
        const payload = { email: value, language: state.language };
        if (next) payload.next = next;
        await api("POST", "/api/auth/request", payload);
        showCodeStep(value);
      } catch (error) {
        button.disabled = false;
        if (showApiFieldError(form, error)) announceError(error);
        else message.error(error);
      }
    });
    body.replaceChildren(form);
    return input;
  }

  function showCodeStep(email) {
    const input = h("input", {
      type: "text",
      name: "code",
      inputmode: "numeric",
      autocomplete: "one-time-code",
      required: true,
      maxlength: "12",
      pattern: "[0-9 ]*",
      class: "code-input",
    });
    const button = h("button", { type: "submit", class: "primary", t: "signin.verify" });
    const form = h(
      "form",
      { class: "stack", novalidate: true },
      h("p", { t: ["signin.sent", { email }] }),
      field("code", "signin.code", input, { help: "signin.code_help" }),
      h("div", { class: "actions" }, button),
      h(
        "p",
        {},
        h("button", {
          type: "button",
          class: "link-button",
          t: "signin.other_address",
          on: { click: () => showEmailStep(email).focus() },
        }),
      ),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      message.clear();
      const code = input.value.replace(/\D/g, "");
      if (code.length !== 8) {
        showFieldError(input, "signin.code_length");
        announce("signin.code_length");
        input.focus();
        return;
      }
      button.disabled = true;
      try {
        await signedIn(await api("POST", "/api/auth/verify-code", { email, code }));
      } catch (error) {
        button.disabled = false;
        if (showApiFieldError(form, error)) announceError(error);
        else message.error(error);
      }
    });
    body.replaceChildren(form);
    announce("signin.sent_status", { email });
    input.focus();
  }

  if (token) showLinkStep();
  else showEmailStep();
  return null;
}
