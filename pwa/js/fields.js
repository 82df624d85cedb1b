// Labelled form fields and the errors shown next to them (aria-invalid, aria-describedby, focus).
import { h, newId } from "./dom.js";
import { errorMessage } from "./i18n.js";

/**
 * A labelled control: field("role", "field.role", h("input", {...}), { help: "profile.role_help" }).
 * The control gets an id, aria-describedby for its help, and data-field so server errors find it.
 */
export function field(name, labelKey, control, { help, helpVars = {}, labelVars = {} } = {}) {
  const id = control.id || newId(name.replace(/[^a-z0-9]+/gi, "-"));
  control.id = id;
  control.dataset.field = name;
  const wrapper = h("div", { class: "field" }, h("label", { for: id, t: [labelKey, labelVars] }));
  if (help) {
    const helpId = `${id}-help`;
    wrapper.append(h("p", { class: "help", id: helpId, t: [help, helpVars] }));
    control.setAttribute("aria-describedby", helpId);
  }
  wrapper.append(control);
  return wrapper;
}

/** Show catalog text `key` under `control` and mark it invalid. */
export function showFieldError(control, key, vars = {}) {
  const errorId = `${control.id}-error`;
  let message = document.getElementById(errorId);
  if (!message) {
    message = h("p", { class: "field-error", id: errorId });
    const anchor = control.closest(".field, .choice-group") ?? control.parentElement;
    anchor.append(message);
    const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    control.setAttribute("aria-describedby", [...described, errorId].join(" "));
  }
  message.replaceChildren(h("span", { t: [key, vars] }));
  control.setAttribute("aria-invalid", "true");
  return message;
}

export function clearFieldErrors(root) {
  for (const message of root.querySelectorAll(".field-error")) {
    const control = document.getElementById(message.id.replace(/-error$/, ""));
    if (control) {
      control.removeAttribute("aria-invalid");
      const kept = (control.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter((id) => id && id !== message.id);
      if (kept.length) control.setAttribute("aria-describedby", kept.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    message.remove();
  }
}

/** The control a server `field` such as "sessions[0].ends_at" or "interests[1]" points at. */
export function controlForField(root, name) {
  if (!name) return null;
  const clean = name.replace(/^\$\./, "").replace(/^data\./, "");
  const all = [...root.querySelectorAll("[data-field]")];
  return (
    all.find((el) => el.dataset.field === clean) ??
    all.find((el) => el.dataset.field.startsWith(`${clean}.`) || el.dataset.field.startsWith(`${clean}[`)) ??
    null
  );
}

/** Put an API error next to the field it names and focus it; false when no field matched. */
export function showApiFieldError(root, error) {
  const control = controlForField(root, error.field);
  if (!control) return false;
  const [key, vars] = errorMessage(error);
  showFieldError(control, key, vars);
  control.focus();
  return true;
}
