// The organizer's badge printing: layout and filter, a preview of the first sheet, the PDF run, single badges.
import { api } from "../api.js";
import { announce, h, messageBox, newId } from "../dom.js";
import { field } from "../fields.js";
import { label, labelAttribute } from "../i18n.js";

const LAYOUTS = [
  ["a4", "print.layout_a4", "print.layout_a4_help"],
  ["letter", "print.layout_letter", "print.layout_letter_help"],
  ["avery-5392", "print.layout_avery", "print.layout_avery_help"],
];
const POLL_MS = 500;
const SEARCH_DELAY_MS = 350;
const PAGE_SIZE = 20;
const OFFLINE_RETRIES = 60; // about 30 s of polling without network before giving up

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function layoutKey(layout) {
  return LAYOUTS.find(([value]) => value === layout)[1];
}

/** Before printing a whole run: the QR codes point at an address phones cannot open (well). */
function addressWarning({ problem, base_url: url }) {
  const headingId = newId("address-title");
  return h(
    "section",
    { class: `message ${problem === "not_https" ? "" : "message-error"}`, role: "alert", "aria-labelledby": headingId },
    h("h2", { id: headingId, t: "print.address_title" }),
    h("p", { class: "detail", t: [`print.address_${problem}`, { url }] }),
    h("p", { class: "detail", t: "print.address_how" }),
  );
}

export async function render(container, { params }) {
  const [slug] = params;
  const base = `/api/events/${slug}`;
  const [event, address] = await Promise.all([api("GET", base), api("GET", `${base}/badges/address`)]);
  let layout = "a4";
  let query = "";

  // Choosing what to print
  const radios = LAYOUTS.map(([value, key, help]) => {
    const helpId = newId("layout-help");
    const input = h("input", {
      type: "radio",
      name: "layout",
      value,
      checked: value === layout,
      "aria-describedby": helpId,
    });
    return h(
      "div",
      { class: "choice-described" },
      h("label", { class: "choice" }, input, h("span", { t: key })),
      h("p", { class: "help", id: helpId, t: help }),
    );
  });
  const layoutGroup = h("fieldset", { class: "choice-group" }, h("legend", { t: "print.layout_legend" }), radios);
  const search = h("input", { type: "search", autocomplete: "off", maxlength: "200", enterkeyhint: "search" });
  const count = h("p", { class: "lead", role: "status" });

  // The preview of the first sheet
  const preview = h("img", { class: "sheet-image", decoding: "async" });
  const previewMessage = messageBox();
  const previewFigure = h(
    "figure",
    { class: "sheet-preview" },
    preview,
    h("figcaption", { class: "muted", t: "print.preview_caption" }),
  );

  // The PDF run
  const createButton = h("button", { type: "button", class: "primary", t: "print.create" });
  const progressLabel = h("p", { id: newId("print-progress") });
  const progress = h("progress", { max: "1", value: "0", "aria-labelledby": progressLabel.id });
  const progressBox = h("div", { class: "progress", hidden: true }, progressLabel, progress);
  const result = h("div", { class: "stack", hidden: true });
  const runMessage = messageBox();

  // Single badges
  const list = h("ul", { class: "cards attendee-badges" });
  const moreButton = h("button", { type: "button", class: "secondary", hidden: true, t: "print.more" });
  const listMessage = messageBox();
  let loaded = 0;
  let total = 0;
  let running = false;
  let listRequest = 0; // only the newest search may draw the list

  function previewUrl() {
    const search = new URLSearchParams({ layout });
    if (query) search.set("q", query);
    return `${base}/badges/preview?${search}`;
  }

  function drawPreview() {
    previewMessage.clear();
    previewFigure.setAttribute("aria-busy", "true");
    labelAttribute(preview, "alt", "print.preview_alt", { layout: { t: layoutKey(layout) } });
    preview.src = previewUrl();
  }
  preview.addEventListener("load", () => previewFigure.removeAttribute("aria-busy"));
  preview.addEventListener("error", () => {
    previewFigure.removeAttribute("aria-busy");
    previewMessage.show(navigator.onLine ? "print.preview_failed" : "error.offline");
  });

  function attendeeRow(person) {
    const reissue = h("button", {
      type: "button",
      class: "secondary",
      t: "print.reissue",
      tAttrs: { "aria-label": ["print.reissue_of", { name: person.name }] },
    });
    const rowMessage = messageBox();
    reissue.addEventListener("click", () => confirmReissue(person, reissue, rowMessage));
    const link = (format, key, labelKey) =>
      h("a", {
        class: "button",
        href: `${base}/attendees/${person.id}/badge.${format}`,
        download: "",
        t: key,
        tAttrs: { "aria-label": [labelKey, { name: person.name }] },
      });
    const details = [person.organization, person.email].filter(Boolean).join(" · ");
    return h(
      "li",
      { class: "card" },
      h("h3", { dir: "auto", text: person.name }),
      details ? h("p", { class: "muted", dir: "auto", text: details }) : null,
      h(
        "div",
        { class: "card-actions" },
        link("png", "print.png", "print.png_of"),
        link("svg", "print.svg", "print.svg_of"),
        reissue,
      ),
      rowMessage.el,
    );
  }

  async function loadAttendees({ more = false } = {}) {
    listMessage.clear();
    const offset = more ? loaded : 0;
    const search = new URLSearchParams({ offset: String(offset), limit: String(PAGE_SIZE) });
    if (query) search.set("q", query);
    const request = (listRequest += 1);
    let page;
    try {
      page = await api("GET", `${base}/attendees?${search}`);
    } catch (error) {
      if (request === listRequest) listMessage.error(error);
      return;
    }
    if (request !== listRequest) return;
    total = page.total;
    loaded = offset + page.items.length;
    const rows = page.items.map(attendeeRow);
    if (more) list.append(...rows);
    else list.replaceChildren(...rows);
    moreButton.hidden = loaded >= total;
    label(count, query ? "print.count_matching" : "print.count_all", { count: total });
    createButton.disabled = running || total === 0;
    if (more && rows.length) {
      // Keyboard and screen reader users continue at the first newly shown person.
      const first = rows[0].querySelector("h3");
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  }

  // Reissue: a dialog that says the old badge stops working at once.
  const dialogTitle = h("h2", { id: newId("reissue-title") });
  const dialogBody = h("p", {});
  const dialogMessage = messageBox();
  const confirmButton = h("button", { type: "button", class: "danger", t: "print.reissue_confirm" });
  const cancelButton = h("button", { type: "button", class: "secondary", autofocus: true, t: "print.cancel" });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": dialogTitle.id },
    h(
      "div",
      { class: "stack" },
      dialogTitle,
      dialogBody,
      h("p", { t: "print.reissue_next" }),
      dialogMessage.el,
      h("div", { class: "actions" }, confirmButton, cancelButton),
    ),
  );
  let pending = null;
  cancelButton.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (pending?.returnFocus.isConnected) pending.returnFocus.focus();
    pending = null;
  });

  function confirmReissue(person, button, rowMessage) {
    pending = { person, returnFocus: button, rowMessage };
    label(dialogTitle, "print.reissue_title", { name: person.name });
    label(dialogBody, "print.reissue_explain", { name: person.name });
    dialogMessage.clear();
    confirmButton.disabled = false;
    dialog.showModal();
    cancelButton.focus();
  }

  confirmButton.addEventListener("click", async () => {
    if (!pending) return;
    const { person, rowMessage } = pending;
    confirmButton.disabled = true;
    try {
      await api("POST", `${base}/attendees/${person.id}/badge/reissue`);
    } catch (error) {
      dialogMessage.error(error);
      confirmButton.disabled = false;
      return;
    }
    dialog.close();
    rowMessage.show("print.reissued", { name: person.name }, "success");
  });

  // The PDF run: start it, poll its progress, then offer the file.
  function drawProgress(job) {
    progress.max = Math.max(job.total, 1);
    progress.value = job.done;
    label(progressLabel, "print.progress", { done: job.done, total: job.total });
  }

  async function poll(job) {
    let misses = 0;
    let quarter = 0;
    while (job.status === "running") {
      drawProgress(job);
      const reached = job.total ? Math.floor((job.done / job.total) * 4) : 0;
      if (reached > quarter && reached < 4) {
        quarter = reached;
        announce("print.progress", { done: job.done, total: job.total });
      }
      await sleep(POLL_MS);
      if (!container.isConnected) return null; // the organizer left this screen
      try {
        job = await api("GET", `${base}/badges/jobs/${job.id}`);
        misses = 0;
      } catch (error) {
        // The run goes on at the server; a short network gap must not lose it.
        if (error.code !== "offline" || (misses += 1) > OFFLINE_RETRIES) throw error;
      }
    }
    return job;
  }

  async function createPdf() {
    runMessage.clear();
    result.hidden = true;
    result.replaceChildren();
    running = true;
    createButton.disabled = true;
    drawProgress({ done: 0, total });
    progressBox.hidden = false;
    announce("print.started");
    try {
      const started = await api("POST", `${base}/badges/jobs`, query ? { layout, q: query } : { layout });
      const job = await poll(started);
      if (!job) return;
      if (job.status === "done") {
        drawProgress(job);
        const download = h("a", {
          class: "button primary",
          href: `${base}/badges/jobs/${job.id}/pdf`,
          download: "",
          t: "print.download",
        });
        result.replaceChildren(
          h("p", { class: "message message-success", t: ["print.ready", { count: job.total, layout: { t: layoutKey(job.layout) } }] }),
          download,
        );
        result.hidden = false;
        announce("print.ready", { count: job.total, layout: { t: layoutKey(job.layout) } });
        download.focus();
      } else {
        runMessage.show(job.error === "server_stopped" ? "print.failed_stopped" : "print.failed");
      }
    } catch (error) {
      runMessage.error(error);
    } finally {
      running = false;
      progressBox.hidden = true;
      createButton.disabled = total === 0;
    }
  }
  createButton.addEventListener("click", createPdf);

  // Changing the layout or the filter: a fresh preview (and list), and any finished PDF is stale.
  let searchTimer = null;
  function changed() {
    result.hidden = true;
    drawPreview();
  }
  layoutGroup.addEventListener("change", (changeEvent) => {
    layout = changeEvent.target.value;
    changed();
  });
  function applySearch() {
    clearTimeout(searchTimer);
    if (search.value.trim() === query) return;
    query = search.value.trim();
    changed();
    loadAttendees();
  }
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applySearch, SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (keyEvent) => {
    if (keyEvent.key === "Enter") {
      keyEvent.preventDefault();
      applySearch();
    }
  });
  moreButton.addEventListener("click", () => loadAttendees({ more: true }));

  const singleHeadingId = newId("single");
  container.append(
    h("h1", { tabindex: "-1", t: "print.title" }),
    h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name })),
    h("p", { class: "muted", t: "print.intro" }),
    address.problem ? addressWarning(address) : null,
    layoutGroup,
    field("q", "print.search", search, { help: "print.search_help" }),
    count,
    h("h2", { t: "print.preview_title" }),
    previewFigure,
    previewMessage.el,
    h("div", { class: "actions sticky-actions" }, createButton),
    h("div", { class: "stack print-run" }, progressBox, runMessage.el, result),
    h(
      "section",
      { class: "stack", "aria-labelledby": singleHeadingId },
      h("h2", { id: singleHeadingId, t: "print.single_title" }),
      h("p", { class: "muted", t: "print.single_intro" }),
      listMessage.el,
      list,
      moreButton,
    ),
    dialog,
  );
  drawPreview();
  await loadAttendees();
  return null;
}
