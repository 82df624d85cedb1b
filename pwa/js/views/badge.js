// My badge: the QR drawn from the API's modules (works offline), the typed code, full screen, downloads.
import { api } from "../api.js";
import { announce, h } from "../dom.js";
import { has, labelAttribute } from "../i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const QUIET_ZONE = 4; // modules of white around the symbol, as the QR standard asks
const CARD_FIELDS = ["role", "interests", "looking_for", "can_help_with", "email", "phone", "links", "bio"];
const WEB_LINK = /^https?:\/\/\S+$/i;

function svg(tag, attributes = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  return el;
}

/** The QR symbol as an inline SVG: one path of dark modules on white, crisp at any size. */
export function qrSvg(rows, labelKey) {
  const size = rows.length + 2 * QUIET_ZONE;
  const parts = [];
  rows.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (row[x] !== "1") {
        x += 1;
        continue;
      }
      let end = x;
      while (end < row.length && row[end] === "1") end += 1;
      parts.push(`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h${end - x}v1h-${end - x}z`);
      x = end;
    }
  });
  const root = svg("svg", {
    class: "qr",
    viewBox: `0 0 ${size} ${size}`,
    "shape-rendering": "crispEdges",
    role: "img",
    focusable: "false",
  });
  root.append(svg("rect", { width: size, height: size, fill: "#ffffff" }), svg("path", { d: parts.join(""), fill: "#000000" }));
  labelAttribute(root, "aria-label", labelKey);
  return root;
}

function fieldValue(name, value) {
  const list = Array.isArray(value) ? value : [value];
  if (name === "links") {
    return list.flatMap((link, index) => [
      index ? h("br") : null,
      WEB_LINK.test(link) ? h("a", { href: link, rel: "noopener noreferrer", target: "_blank", text: link }) : link,
    ]);
  }
  if (name === "email") return h("a", { href: `mailto:${value}`, text: value });
  if (name === "phone") return h("a", { href: `tel:${value.replace(/[^0-9+]/g, "")}`, text: value });
  return list.join(", ");
}

/**
 * The card a badge scan shows (the same look as the profile's preview): name, organization,
 * then only the fields the person shares. `nameTag: "h1"` makes the name the page's heading.
 */
export function badgeCard(card, { nameTag = "p" } = {}) {
  const rows = [];
  for (const name of CARD_FIELDS) {
    const value = card[name];
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) continue;
    // Labels in the third person: the card is someone else's (or mine as others see it).
    const labelKey = has(`card.${name}`) ? `card.${name}` : `field.${name}`;
    rows.push(h("dt", { t: labelKey }), h("dd", { class: `card-${name}` }, fieldValue(name, value)));
  }
  return h(
    "div",
    { class: "badge-card" },
    h(nameTag, { class: "card-name", dir: "auto", tabindex: nameTag === "h1" ? "-1" : undefined, text: card.name || "—" }),
    card.organization ? h("p", { class: "card-org", dir: "auto", text: card.organization }) : null,
    rows.length ? h("dl", {}, rows) : h("p", { class: "muted", t: "profile.preview_nothing_else" }),
  );
}

/** The typed code in groups, breaking only between groups when the line is narrow. */
function codeText(code) {
  return code.split("-").flatMap((group, index) => (index ? ["-", h("wbr"), h("span", { text: group })] : [h("span", { text: group })]));
}

/** Full screen for the QR box: the Fullscreen API where there is one, else a fixed overlay. */
function fullScreenControl(box, openButton, closeButton) {
  let wakeLock = null;
  let overlay = false;

  async function keepAwake() {
    try {
      wakeLock = (await navigator.wakeLock?.request("screen")) ?? null;
    } catch {
      wakeLock = null; // refused (battery saver, no permission): the QR still shows
    }
  }
  // The browser drops the lock when the page is hidden; take it again on return.
  function onVisibility() {
    if (document.visibilityState === "visible" && box.classList.contains("is-full")) keepAwake();
  }
  function onKey(event) {
    if (event.key === "Escape") exit();
  }

  function shown(on) {
    box.classList.toggle("is-full", on);
    closeButton.hidden = !on;
    if (on) {
      keepAwake();
      document.addEventListener("visibilitychange", onVisibility);
      closeButton.focus();
      announce("badge.fullscreen_on");
    } else {
      wakeLock?.release().catch(() => {});
      wakeLock = null;
      document.removeEventListener("visibilitychange", onVisibility);
      document.removeEventListener("keydown", onKey);
      if (openButton.isConnected) openButton.focus();
    }
  }

  async function enter() {
    if (box.requestFullscreen && document.fullscreenEnabled) {
      try {
        await box.requestFullscreen({ navigationUI: "hide" });
        return; // "fullscreenchange" calls shown(true)
      } catch {
        // Refused (e.g. an embedded view): fall back to the overlay.
      }
    }
    overlay = true;
    document.addEventListener("keydown", onKey);
    shown(true);
  }

  function exit() {
    if (document.fullscreenElement === box) {
      document.exitFullscreen().catch(() => {});
    } else if (overlay) {
      overlay = false;
      shown(false);
    }
  }

  box.addEventListener("fullscreenchange", () => shown(document.fullscreenElement === box));
  openButton.addEventListener("click", enter);
  closeButton.addEventListener("click", exit);
}

export async function render(container, { params }) {
  const [slug] = params;
  const badge = await api("GET", `/api/events/${slug}/me/badge`);

  const closeButton = h("button", { type: "button", class: "qr-close", hidden: true, t: "badge.fullscreen_close" });
  const box = h(
    "div",
    { class: "qr-box" },
    qrSvg(badge.qr, "badge.qr_label"),
    h("p", { class: "badge-code-label", t: "badge.code_label" }),
    h("p", { class: "badge-code", translate: "no" }, codeText(badge.code)),
    closeButton,
  );
  const fullButton = h("button", { type: "button", class: "primary", t: "badge.fullscreen" });
  fullScreenControl(box, fullButton, closeButton);

  const cardHeadingId = "badge-card-heading";
  const downloadHeadingId = "badge-download-heading";
  container.append(
    h("h1", { tabindex: "-1", t: "badge.title" }),
    h("p", { class: "lead", text: badge.event_name }),
    box,
    h("p", { class: "muted", t: "badge.how_to" }),
    h(
      "div",
      { class: "actions actions-row sticky-actions" },
      fullButton,
      h("a", { class: "button", href: `/events/${slug}/scan`, t: "scan.link" }),
    ),
    h(
      "section",
      { class: "stack", "aria-labelledby": cardHeadingId },
      h("h2", { id: cardHeadingId, t: "profile.share_title" }),
      h("p", { class: "muted", t: "badge.card_intro" }),
      badgeCard(badge.card),
      h("p", {}, h("a", { class: "button", href: `/events/${slug}/profile`, t: "badge.edit_sharing" })),
    ),
    h(
      "section",
      { class: "stack", "aria-labelledby": downloadHeadingId },
      h("h2", { id: downloadHeadingId, t: "badge.download_title" }),
      h("p", { class: "muted", t: "badge.download_intro" }),
      h(
        "div",
        { class: "card-actions" },
        h("a", { class: "button", href: `/api/events/${slug}/me/badge.png`, download: "", t: "badge.download_png" }),
        h("a", { class: "button", href: `/api/events/${slug}/me/badge.svg`, download: "", t: "badge.download_svg" }),
      ),
    ),
  );
  return null;
}
