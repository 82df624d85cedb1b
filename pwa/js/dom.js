// Building DOM nodes without innerHTML, and announcing messages through the live region.
import { errorMessage, label, labelAttribute } from "./i18n.js";

let uid = 0;
/** A document-unique id with a readable prefix. */
export function newId(prefix = "id") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * h("button", { t: "key", class: "primary", on: { click } }, ...children)
 * Special props: t (catalog key or [key, vars]), tAttrs ({attr: key or [key, vars]}),
 * on (event handlers), text (literal text), value/checked/disabled (set as properties).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "t") {
      const [key, vars] = Array.isArray(value) ? value : [value, {}];
      label(el, key, vars);
    } else if (name === "tAttrs") {
      for (const [attr, spec] of Object.entries(value)) {
        const [key, vars] = Array.isArray(spec) ? spec : [spec, {}];
        labelAttribute(el, attr, key, vars);
      }
    } else if (name === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === "text") {
      el.textContent = String(value);
    } else if (name === "value" || name === "checked") {
      el[name] = value;
    } else if (name === "class") {
      el.className = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Say `key` through the polite live region (re-announced even when it repeats). */
/** A screen's section under its own heading (h2), named by it for screen readers. */
export function section(titleKey, ...children) {
  const headingId = newId("section");
  return h(
    "section",
    { class: "stack", "aria-labelledby": headingId },
    h("h2", { id: headingId, t: titleKey }),
    ...children,
  );
}

export function announce(key, vars = {}) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => label(region, key, vars), 50);
}

export function announceError(error) {
  const [key, vars] = errorMessage(error);
  announce(key, vars);
}

/** A message box element that shows an API error (or any catalog text) and can be cleared. */
export function messageBox() {
  const box = h("div", { class: "message", hidden: true });
  return {
    el: box,
    show(key, vars = {}, kind = "error") {
      box.className = `message message-${kind}`;
      box.hidden = false;
      box.replaceChildren(h("p", { t: [key, vars] }));
      announce(key, vars);
    },
    error(error) {
      const [key, vars] = errorMessage(error);
      this.show(key, vars, "error");
    },
    clear() {
      box.hidden = true;
      box.replaceChildren();
    },
  };
}

/**
 * A modal question: `titleKey` and `bodyKey` (with `vars`), a button that does it (`confirmKey`)
 * and one that leaves things as they are (`cancelKey`, focused first, so Enter changes nothing);
 * `danger` when it cannot be undone.
 * `ask(onYes)` opens it (placed in the page when it is not yet); a "no" gives the focus back.
 */
export function confirmDialog(titleKey, bodyKey, vars, confirmKey, cancelKey, { danger = false } = {}) {
  const title = h("h2", { id: newId("confirm-title"), t: [titleKey, vars] });
  const yes = h("button", { type: "button", class: danger ? "danger" : "primary", t: confirmKey });
  const no = h("button", { type: "button", class: "secondary", t: cancelKey });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": title.id },
    h("div", { class: "stack" }, title, h("p", { t: [bodyKey, vars] }), h("div", { class: "actions" }, yes, no)),
  );
  return {
    dialog,
    ask(onYes) {
      const opener = document.activeElement;
      if (!dialog.isConnected) document.querySelector("main")?.append(dialog);
      yes.onclick = () => {
        dialog.close();
        onYes();
      };
      no.onclick = () => {
        dialog.close();
        if (opener?.isConnected) opener.focus();
      };
      dialog.showModal();
      no.focus({ preventScroll: true });
      dialog.scrollTop = 0; // the question stays in view above the buttons (showModal scrolled)
    },
  };
}
