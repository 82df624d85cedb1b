// The organizer's follow-up e-mail: when it goes out, send now, preview in both languages, what happened.
import { api } from "../api.js";
import { h, messageBox, newId, section } from "../dom.js";
import { field } from "../fields.js";
import { label, labelAttribute } from "../i18n.js";
import { state } from "../state.js";

// While digests wait in the queue, the counts are asked for again this often.
const REFRESH_MS = 10_000;
// After "send now" the server queues in the background, chunk by chunk: the counts are read
// more often until everyone who should have it is queued.
const QUEUEING_REFRESH_MS = 2_000;
const PREVIEW_LANGUAGES = ["es", "en"];

export async function render(container, { params }) {
  const [slug] = params;
  const base = `/api/events/${slug}`;
  const event = await api("GET", base);
  if (!event.roles.includes("organizer")) {
    container.append(h("h1", { tabindex: "-1", text: event.name }), h("p", { t: "event.not_organizer" }));
    return null;
  }
  let status = await api("GET", `${base}/digest`);
  let timer = null;
  let queueing = false;

  const localClock = (iso) =>
    new Intl.DateTimeFormat(state.language, { timeZone: event.timezone, dateStyle: "full", timeStyle: "short" }).format(
      new Date(iso),
    );
  const number = (value) => new Intl.NumberFormat(state.language).format(value);

  // When it goes out
  const timeInput = h("input", { type: "datetime-local", name: "local_time", required: true });
  const scheduleLine = h("p", { class: "lead", role: "status" });
  const saveButton = h("button", { type: "submit", class: "primary", t: "digest.schedule_save" });
  const cancelButton = h("button", { type: "button", class: "secondary", t: "digest.schedule_cancel" });
  const scheduleMessage = messageBox();
  const scheduleForm = h(
    "form",
    { class: "stack", novalidate: true },
    field("local_time", "digest.schedule_time", timeInput, {
      help: "digest.schedule_help",
      helpVars: { timezone: event.timezone },
    }),
    h("div", { class: "actions" }, saveButton, cancelButton),
    scheduleMessage.el,
  );

  // Send now, after a confirmation
  const recipientsLine = h("p", {});
  const sendButton = h("button", { type: "button", class: "primary", t: "digest.send_now" });
  const sendMessage = messageBox();
  const dialogTitle = h("h2", { id: newId("send-title"), t: "digest.confirm_title" });
  const dialogBody = h("p", {});
  const confirmButton = h("button", { type: "button", class: "primary", t: "digest.confirm_send" });
  const keepButton = h("button", { type: "button", class: "secondary", t: "digest.confirm_cancel" });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": dialogTitle.id },
    h("div", { class: "stack" }, dialogTitle, dialogBody, h("div", { class: "actions" }, confirmButton, keepButton)),
  );

  // Preview: the HTML part in a sandboxed frame (no scripts, no links followed), the text part below.
  const frame = h("iframe", { class: "digest-frame", sandbox: "", loading: "lazy" });
  const textPart = h("pre", { class: "digest-text" });
  const subjectLine = h("p", {});
  const languageButtons = PREVIEW_LANGUAGES.map((lang) =>
    h("button", {
      type: "button",
      class: "secondary",
      "data-preview": lang,
      "aria-pressed": "false",
      t: `language.${lang}`,
    }),
  );
  const previewMessage = messageBox();

  // What happened
  const totals = h("dl", { class: "counts" });
  const failuresHeading = h("h3", { t: "digest.failures" });
  const failures = h("ul", { class: "cards digest-failures" });
  const refreshButton = h("button", { type: "button", class: "secondary small", t: "dashboard.refresh" });

  function drawStatus() {
    timeInput.value = status.local_time ?? status.suggested_local_time;
    cancelButton.hidden = !status.local_time;
    // Sent now before the time it was scheduled for: it went out when it was sent, not then.
    const sentEarly = status.queued_at && status.at && new Date(status.queued_at) < new Date(status.at);
    if (status.local_time && !sentEarly) {
      label(scheduleLine, status.queued_at ? "digest.scheduled_done" : "digest.scheduled_for", {
        when: localClock(status.at),
      });
    } else if (status.queued_at) {
      label(scheduleLine, "digest.sent_on", { when: localClock(status.queued_at) });
    } else {
      label(scheduleLine, "digest.not_scheduled");
    }
    label(recipientsLine, "digest.recipients", { count: status.recipients });
    const report = status.report;
    totals.replaceChildren(
      ...[
        ["sent", "digest.count_sent"],
        ["failed", "digest.count_failed"],
        ["queued", "digest.count_queued"],
        ["opted_out", "digest.count_opted_out"],
      ].map(([key, labelKey]) =>
        h(
          "div",
          { class: key === "failed" && report.failed ? "count count-bad" : "count", "data-count": key },
          h("dt", { t: labelKey }),
          h("dd", { text: number(report[key]) }),
        ),
      ),
    );
    failuresHeading.hidden = !report.failures.length;
    failures.hidden = !report.failures.length;
    failures.replaceChildren(
      ...report.failures.map((failure) =>
        h("li", { class: "card" }, h("p", { class: "staff-email", text: failure.to }), h("p", { class: "muted", text: failure.error })),
      ),
    );
    clearTimeout(timer);
    if (!status.recipients) queueing = false;
    if (queueing) timer = setTimeout(refresh, QUEUEING_REFRESH_MS);
    else if (report.queued) timer = setTimeout(refresh, REFRESH_MS);
  }

  async function refresh() {
    if (document.hidden) {
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
    try {
      status = await api("GET", `${base}/digest`);
      drawStatus();
    } catch (error) {
      sendMessage.error(error);
    }
  }

  async function showPreview(lang) {
    previewMessage.clear();
    for (const button of languageButtons) button.setAttribute("aria-pressed", String(button.dataset.preview === lang));
    try {
      const preview = await api("GET", `${base}/digest/preview?language=${lang}`);
      label(subjectLine, "digest.preview_subject", { subject: preview.subject });
      textPart.textContent = preview.text;
      textPart.lang = lang;
      labelAttribute(frame, "title", "digest.preview_frame", { language: { t: `language.${lang}` } });
      // Its own address, served with a policy of its own: the mail's inline styles, nothing else.
      frame.src = `${base}/digest/preview.html?language=${lang}`;
    } catch (error) {
      previewMessage.error(error);
    }
  }

  scheduleForm.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    scheduleMessage.clear();
    if (!timeInput.value) {
      scheduleMessage.show("form.required");
      timeInput.focus();
      return;
    }
    saveButton.disabled = true;
    try {
      status = await api("PUT", `${base}/digest`, { local_time: timeInput.value });
      drawStatus();
      scheduleMessage.show("digest.schedule_saved", { when: localClock(status.at) }, "success");
    } catch (error) {
      scheduleMessage.error(error);
    } finally {
      saveButton.disabled = false;
    }
  });

  cancelButton.addEventListener("click", async () => {
    scheduleMessage.clear();
    try {
      status = await api("PUT", `${base}/digest`, { local_time: null });
      drawStatus();
      scheduleMessage.show("digest.schedule_cancelled", {}, "success");
      timeInput.focus();
    } catch (error) {
      scheduleMessage.error(error);
    }
  });

  sendButton.addEventListener("click", () => {
    sendMessage.clear();
    label(dialogBody, "digest.confirm_body", { count: status.recipients });
    confirmButton.disabled = false;
    dialog.showModal();
    keepButton.focus();
  });
  keepButton.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => sendButton.focus());
  confirmButton.addEventListener("click", async () => {
    confirmButton.disabled = true;
    try {
      const done = await api("POST", `${base}/digest/send`);
      queueing = done.queued > 0;
      dialog.close();
      sendMessage.show(done.queued ? "digest.sent" : "digest.sent_none", { count: done.queued }, "success");
      status = await api("GET", `${base}/digest`);
      drawStatus();
    } catch (error) {
      dialog.close();
      sendMessage.error(error);
    }
  });

  for (const button of languageButtons) button.addEventListener("click", () => showPreview(button.dataset.preview));
  refreshButton.addEventListener("click", refresh);

  container.append(
    h("h1", { tabindex: "-1", t: "digest.title" }),
    h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name })),
    h("p", { class: "muted", t: "digest.intro" }),
    section("digest.schedule_heading", scheduleLine, scheduleForm),
    section("digest.send_heading", recipientsLine, h("div", { class: "actions" }, sendButton), sendMessage.el),
    section(
      "digest.preview_heading",
      h("p", { class: "help", t: "digest.preview_help" }),
      h("div", { class: "actions actions-row" }, languageButtons),
      previewMessage.el,
      subjectLine,
      frame,
      h("details", {}, h("summary", { t: "digest.preview_text" }), textPart),
    ),
    section("digest.report_heading", totals, h("div", { class: "actions" }, refreshButton), failuresHeading, failures),
    dialog,
  );
  drawStatus();
  await showPreview(state.language === "en" ? "en" : "es");
  return {
    leave() {
      clearTimeout(timer);
    },
    onLanguageChange() {
      drawStatus();
    },
  };
}
