// The organizer's staff screen: who runs the event (organizers, check-in staff), add by e-mail, change a role, remove.
import { api } from "../api.js";
import { announce, h, messageBox, newId } from "../dom.js";
import { clearFieldErrors, field, showApiFieldError, showFieldError } from "../fields.js";
import { label } from "../i18n.js";

// [role, its name, what it may do], the narrower first: it is what most people added need.
const ROLES = [
  ["staff", "role.staff", "staff.can_staff"],
  ["organizer", "role.organizer", "staff.can_organizer"],
];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function render(container, { params }) {
  const [slug] = params;
  const base = `/api/events/${slug}`;
  const [event, initial] = await Promise.all([api("GET", base), api("GET", `${base}/staff`)]);
  let people = initial;

  // Adding someone
  const email = h("input", {
    type: "email",
    autocomplete: "off",
    autocapitalize: "none",
    spellcheck: "false",
    inputmode: "email",
    maxlength: "320",
    required: true,
  });
  const roleInputs = ROLES.map(([value, name, can]) => {
    const helpId = newId("role-help");
    const input = h("input", {
      type: "radio",
      name: "staff-role",
      value,
      checked: value === "staff",
      "aria-describedby": helpId,
    });
    input.dataset.field = "role";
    return {
      input,
      el: h(
        "div",
        { class: "choice-described" },
        h("label", { class: "choice" }, input, h("span", { t: name })),
        h("p", { class: "help", id: helpId, t: can }),
      ),
    };
  });
  const addButton = h("button", { type: "submit", class: "primary", t: "staff.add" });
  const addMessage = messageBox();
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field("email", "staff.email", email, { help: "staff.email_help" }),
    h(
      "fieldset",
      { class: "choice-group" },
      h("legend", { t: "staff.role_legend" }),
      roleInputs.map((choice) => choice.el),
    ),
    h("div", { class: "actions" }, addButton),
    addMessage.el,
  );

  // The list
  const listHeading = h("h2", { tabindex: "-1", t: "staff.list_title" });
  const list = h("ul", { class: "cards staff-list" });
  const listMessage = messageBox();

  function personRow(person) {
    const other = person.role === "organizer" ? "staff" : "organizer";
    const rowMessage = messageBox();
    const actions = [];
    if (!person.you) {
      const change = h("button", {
        type: "button",
        class: "secondary",
        "data-action": "role",
        t: `staff.make_${other}`,
        tAttrs: { "aria-label": [`staff.make_${other}_of`, { email: person.email }] },
      });
      change.addEventListener("click", () => changeRole(person, other, change, rowMessage));
      const remove = h("button", {
        type: "button",
        class: "secondary",
        "data-action": "remove",
        t: "staff.remove",
        tAttrs: { "aria-label": ["staff.remove_of", { email: person.email }] },
      });
      remove.addEventListener("click", () => confirmRemoval(person, remove));
      actions.push(change, remove);
    }
    return h(
      "li",
      { class: "card", "data-staff": person.email },
      h("h3", { class: "staff-email", text: person.email }),
      h(
        "ul",
        { class: "tags" },
        h("li", { class: "tag", t: `role.${person.role}` }),
        person.you ? h("li", { class: "tag", t: "staff.you" }) : null,
      ),
      person.you ? h("p", { class: "muted", t: "staff.you_help" }) : null,
      actions.length ? h("div", { class: "card-actions" }, actions) : null,
      rowMessage.el,
    );
  }

  function drawList() {
    list.replaceChildren(...people.map(personRow));
  }

  async function reload() {
    people = await api("GET", `${base}/staff`);
    drawList();
  }

  async function changeRole(person, role, button, rowMessage) {
    button.disabled = true;
    rowMessage.clear();
    try {
      await api("PATCH", `${base}/staff/${person.id}`, { role });
    } catch (error) {
      button.disabled = false;
      rowMessage.error(error);
      return;
    }
    await reload();
    listMessage.show(`staff.now_${role}`, { email: person.email }, "success");
    list.querySelector(`[data-staff="${CSS.escape(person.email)}"] [data-action="role"]`)?.focus();
  }

  form.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    clearFieldErrors(form);
    addMessage.clear();
    const address = email.value.trim();
    if (!EMAIL.test(address)) {
      showFieldError(email, address ? "error.invalid_email" : "form.required");
      announce("form.fix_errors", { count: 1 });
      email.focus();
      return;
    }
    const role = roleInputs.find((choice) => choice.input.checked)?.input.value ?? "staff";
    addButton.disabled = true;
    try {
      const added = await api("POST", `${base}/staff`, { email: address, role });
      email.value = "";
      await reload();
      addMessage.show(`staff.added_${added.role}`, { email: added.email }, "success");
    } catch (error) {
      if (!showApiFieldError(form, error)) addMessage.error(error);
    } finally {
      addButton.disabled = false;
    }
  });

  // Removal asks first, and says what the person loses and what stays.
  const dialogTitle = h("h2", { id: newId("remove-title") });
  const dialogBody = h("p", {});
  const dialogMessage = messageBox();
  const confirmButton = h("button", { type: "button", class: "danger", t: "staff.remove_confirm" });
  const cancelButton = h("button", { type: "button", class: "secondary", autofocus: true, t: "staff.cancel" });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": dialogTitle.id },
    h(
      "div",
      { class: "stack" },
      dialogTitle,
      dialogBody,
      dialogMessage.el,
      h("div", { class: "actions" }, confirmButton, cancelButton),
    ),
  );
  let pending = null;
  let removed = false;
  cancelButton.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (removed) listHeading.focus();
    else if (pending?.returnFocus.isConnected) pending.returnFocus.focus();
    pending = null;
    removed = false;
  });

  function confirmRemoval(person, button) {
    pending = { person, returnFocus: button };
    label(dialogTitle, "staff.remove_title", { email: person.email });
    label(dialogBody, person.role === "organizer" ? "staff.remove_explain_organizer" : "staff.remove_explain_staff");
    dialogMessage.clear();
    confirmButton.disabled = false;
    dialog.showModal();
    cancelButton.focus();
  }

  confirmButton.addEventListener("click", async () => {
    if (!pending) return;
    const { person } = pending;
    confirmButton.disabled = true;
    try {
      await api("DELETE", `${base}/staff/${person.id}`);
    } catch (error) {
      dialogMessage.error(error);
      confirmButton.disabled = false;
      return;
    }
    removed = true;
    await reload().catch((error) => listMessage.error(error));
    dialog.close();
    listMessage.show("staff.removed", { email: person.email }, "success");
  });

  drawList();
  container.append(
    h("h1", { tabindex: "-1", t: ["staff.title", { name: event.name }] }),
    h("p", {}, h("a", { href: `/organize/${slug}`, t: "staff.back" })),
    h("p", { class: "lead", t: "staff.intro" }),
    h("section", { class: "stack" }, h("h2", { t: "staff.add_title" }), form),
    h("section", { class: "stack" }, listHeading, listMessage.el, list),
    dialog,
  );
  return null;
}
