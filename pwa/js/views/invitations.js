// The organizer's invitations (on the dashboard): how far the attendees got, and inviting by e-mail
// those not invited yet, or everyone again after a confirmation.
import { api } from "../api.js";
import { h, messageBox, newId, section } from "../dom.js";
import { label } from "../i18n.js";
import { state } from "../state.js";

const COUNTS = [
  ["invited", "invitations.count_invited"],
  ["signed_in", "invitations.count_signed_in"],
  ["card_set_up", "invitations.count_card"],
];

/** The section, and `refresh()` to read the counts again (the dashboard's timer calls it). */
export function invitationsSection(slug) {
  const path = `/api/events/${slug}/invitations`;
  const number = (value) => new Intl.NumberFormat(state.language).format(value);
  let status = null;

  const totals = h("dl", { class: "counts" });
  const newButton = h("button", { type: "button", class: "primary" });
  const allButton = h("button", { type: "button", class: "secondary", t: "invitations.send_all" });
  const message = messageBox();
  const dialogTitle = h("h2", { id: newId("invite-title"), t: "invitations.confirm_title" });
  const dialogBody = h("p", {});
  const confirmButton = h("button", { type: "button", class: "primary", t: "invitations.confirm_send" });
  const keepButton = h("button", { type: "button", class: "secondary", t: "invitations.confirm_cancel" });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": dialogTitle.id },
    h("div", { class: "stack" }, dialogTitle, dialogBody, h("div", { class: "actions" }, confirmButton, keepButton)),
  );

  function draw() {
    if (!status) return;
    totals.replaceChildren(
      ...COUNTS.map(([key, labelKey]) =>
        h(
          "div",
          { class: "count", "data-count": key },
          h("dt", { t: labelKey }),
          h("dd", { t: ["invitations.of", { count: number(status[key]), total: number(status.attendees) }] }),
        ),
      ),
    );
    label(newButton, "invitations.send_new", { count: number(status.not_invited) });
    newButton.disabled = status.not_invited === 0;
    allButton.disabled = status.attendees === 0;
  }

  async function refresh() {
    status = await api("GET", path);
    draw();
  }

  async function send(who) {
    newButton.disabled = allButton.disabled = true;
    message.clear();
    try {
      const sent = await api("POST", path, { who });
      const key = sent.skipped_recent ? "invitations.queued_skipped" : "invitations.queued";
      message.show(key, { count: number(sent.queued), skipped: number(sent.skipped_recent) }, "success");
      await refresh();
    } catch (error) {
      message.error(error);
      draw();
    }
  }

  newButton.addEventListener("click", () => send("not_invited"));
  allButton.addEventListener("click", () => {
    label(dialogBody, "invitations.confirm_body", { count: number(status.attendees) });
    dialog.showModal();
    keepButton.focus();
  });
  keepButton.addEventListener("click", () => dialog.close());
  confirmButton.addEventListener("click", () => {
    dialog.close();
    send("all");
  });

  const el = section(
    "invitations.title",
    h("p", { t: "invitations.intro" }),
    totals,
    h("div", { class: "actions" }, newButton, allButton),
    message.el,
    dialog,
  );
  return { el, refresh, draw };
}
