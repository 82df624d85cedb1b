// Scan a badge: the camera reader, what a read QR code means, and typing the printed code instead.
import { ApiError } from "../api.js";
import { announce, h } from "../dom.js";
import { clearFieldErrors, field, showFieldError } from "../fields.js";
import { label } from "../i18n.js";
import { refreshDirectory } from "../outbox/directory.js";
import { posterFromScan, readCode, tokenFromScan } from "../outbox/tokens.js";
import { createScanner } from "../scanner.js";
import { state } from "../state.js";

const REPEAT_QUIET_MS = 4000; // the same wrong QR held in view is answered once, not nine times a second
const SHOWN_TEXT = 100; // characters of a foreign QR's content worth showing

const CODE_PROBLEMS = {
  empty: "scan.code_empty",
  length: "scan.code_length",
  character: "scan.code_character",
  link: "scan.code_link",
};

export async function render(container, { params, navigate }) {
  const [slug] = params;
  // From the cached account, so the scanner opens offline too.
  if (!state.me.events.some((event) => event.slug === slug)) throw new ApiError(404, { code: "event_not_found" });
  refreshDirectory(slug).catch(() => {}); // the cards offline scans need, if the copy is old

  const video = h("video", { class: "scanner-video", autoplay: true, muted: true, playsinline: true, "aria-hidden": "true" });
  const viewer = h("div", { class: "scanner-view" }, video, h("div", { class: "scanner-aim", "aria-hidden": "true" }));
  const status = h("p", { class: "scanner-status", t: "scan.starting" });
  const problem = h("div", { class: "stack scan-problem", hidden: true });
  const notice = h("div", { class: "message message-error scan-notice", hidden: true });
  const retry = h("button", { type: "button", class: "primary", t: "scan.retry" });
  const torch = h("button", { type: "button", class: "scan-torch", "aria-pressed": "false", hidden: true, t: "scan.torch" });

  const input = h("input", {
    type: "text",
    name: "badge-code",
    class: "badge-code-input",
    autocomplete: "off",
    autocapitalize: "characters",
    autocorrect: "off",
    spellcheck: "false",
    maxlength: "200",
  });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    field("badge-code", "scan.code_label", input, { help: "scan.code_help" }),
    h("div", { class: "actions" }, h("button", { type: "submit", t: "scan.open" })),
  );
  const typeCode = h("button", { type: "button", class: "primary", t: "scan.type_code", on: { click: () => input.focus() } });
  const manualHeadingId = "scan-manual-heading";

  container.append(
    h("h1", { tabindex: "-1", t: "scan.title" }),
    h("p", { t: "scan.intro" }),
    viewer,
    status,
    notice,
    problem,
    h(
      "section",
      { class: "stack", "aria-labelledby": manualHeadingId },
      h("h2", { id: manualHeadingId, t: "scan.manual_title" }),
      form,
    ),
    // One-handed use: the controls sit at the bottom of the screen, in thumb reach.
    h("div", { class: "actions actions-row sticky-actions" }, torch, typeCode),
  );

  let opening = false;
  let retried = false; // the person pressed "try again": if it fails again, focus returns there
  let lastText = "";
  let lastSeen = 0;

  function open(token) {
    if (opening) return;
    opening = true;
    scanner.stop();
    navigator.vibrate?.(60);
    announce("scan.found");
    // The event goes along: offline, a badge missing from the saved cards can still be saved to it.
    navigate(`/b/${token}?event=${encodeURIComponent(slug)}`);
  }

  function onText(text) {
    if (opening) return;
    const token = tokenFromScan(text);
    if (token) {
      open(token);
      return;
    }
    // A room's poster: check in to the session there.
    const poster = posterFromScan(text);
    if (poster) {
      opening = true;
      scanner.stop();
      navigator.vibrate?.(60);
      navigate(`/R/${poster}`);
      return;
    }
    const now = Date.now();
    const repeated = text === lastText && now - lastSeen < REPEAT_QUIET_MS;
    [lastText, lastSeen] = [text, now];
    if (repeated) return;
    const shown = text.length > SHOWN_TEXT ? `${text.slice(0, SHOWN_TEXT)}…` : text;
    notice.hidden = false;
    notice.replaceChildren(
      h("p", { t: "scan.not_badge" }),
      h("p", { class: "detail", translate: "no", t: ["scan.not_badge_detail", { text: shown }] }),
    );
    navigator.vibrate?.([40, 60, 40]);
    announce("scan.not_badge");
  }

  function onState(name, { torch: hasTorch = false }) {
    const broken = ["denied", "no_camera", "unsupported", "failed"].includes(name);
    viewer.hidden = broken;
    status.hidden = broken;
    problem.hidden = !broken;
    torch.hidden = !(name === "running" && hasTorch);
    torch.setAttribute("aria-pressed", "false"); // a new camera track starts with the light off
    if (broken) {
      notice.hidden = true;
      problem.replaceChildren(
        h(
          "div",
          { class: "message message-error" },
          h("h2", { t: `scan.${name}_title` }),
          h("p", { class: "detail", t: `scan.${name}_body` }),
          h("p", { class: "detail", t: "scan.type_instead" }),
        ),
        h("div", { class: "actions" }, retry),
      );
      if (retried) retry.focus();
      retried = false;
      announce(`scan.${name}_title`);
    } else {
      if (retry === document.activeElement) typeCode.focus(); // the button is going away
      if (name === "running") retried = false;
      problem.replaceChildren();
      label(status, `scan.${name}`);
      if (name !== "starting") announce(`scan.${name}`);
    }
  }

  const scanner = createScanner(video, { onState, onText });
  retry.addEventListener("click", () => {
    retried = true;
    scanner.start();
  });
  torch.addEventListener("click", async () => {
    const on = await scanner.setTorch(torch.getAttribute("aria-pressed") !== "true");
    torch.setAttribute("aria-pressed", String(on));
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const typed = input.value;
    // A pasted badge link works too; any other link is refused like a foreign QR code.
    const read = typed.includes("/") ? { token: tokenFromScan(typed), problem: "link" } : readCode(typed);
    if (read.token) {
      open(read.token);
      return;
    }
    const key = CODE_PROBLEMS[read.problem];
    const vars = read.vars ?? {};
    showFieldError(input, key, vars);
    announce(key, vars);
    input.focus();
  });

  scanner.start();
  return { leave: () => scanner.stop() };
}
