// The connect page a badge's QR opens (/b/TOKEN): whose badge it is, or why it cannot be shown.
import { api } from "../api.js";
import { h } from "../dom.js";
import { state } from "../state.js";
import { badgeCard } from "./badge.js";

/** A page that explains why the badge is not shown, with what to do next. */
function problem(titleKey, bodyKeys, actions) {
  return [
    h("h1", { tabindex: "-1", t: titleKey }),
    h(
      "div",
      { class: "message message-error", role: "alert" },
      bodyKeys.map((key, index) => h("p", { class: index ? "detail" : undefined, t: key })),
    ),
    h("div", { class: "actions" }, actions),
  ];
}

const homeLink = () => h("a", { class: "button", href: "/", t: "notfound.home" });

/** What to talk about: one to three starters, each with the reason it was chosen. */
function starters(list) {
  if (!list?.length) return [];
  return [
    h(
      "section",
      { class: "starters", "aria-labelledby": "starters-title" },
      h("h2", { id: "starters-title", t: "connect.starters_title" }),
      h(
        "ol",
        { class: "starter-list" },
        list.map((starter) =>
          h(
            "li",
            { class: "starter" },
            h("p", { class: "starter-text" }, starter.text),
            h("p", {
              class: "detail",
              t: [`connect.reason.${starter.reason.kind}`, { terms: starter.reason.terms.join(", ") }],
            }),
          ),
        ),
      ),
    ),
  ];
}

/** The scanned person: their card, what to talk about, then what later features add (notes). */
function person(scan) {
  const sections = [
    h("p", { class: "muted", t: ["connect.at_event", { event: scan.event_name }] }),
    badgeCard(scan.card, { nameTag: "h1" }),
    ...starters(scan.starters),
  ];
  if (scan.is_me) {
    sections.push(
      h(
        "div",
        { class: "message" },
        h("p", { t: "connect.own_badge" }),
        h("p", { class: "detail", t: "connect.own_badge_detail" }),
      ),
      h(
        "div",
        { class: "card-actions" },
        h("a", { class: "button", href: `/events/${scan.event}/badge`, t: "connect.my_badge" }),
        h("a", { class: "button", href: `/events/${scan.event}/profile`, t: "badge.edit_sharing" }),
      ),
    );
  }
  return sections;
}

export async function render(container, { params, navigate }) {
  const [token] = params;
  let scan;
  try {
    const lang = encodeURIComponent(state.language);
    scan = await api("GET", `/api/badges/${encodeURIComponent(token)}?lang=${lang}`);
  } catch (error) {
    if (error.code === "badge_not_found") {
      container.append(
        ...problem("connect.unknown_title", ["connect.unknown_body", "connect.unknown_advice"], [homeLink()]),
      );
    } else if (error.code === "badge_revoked") {
      container.append(
        ...problem("connect.revoked_title", ["connect.revoked_body", "connect.revoked_advice"], [homeLink()]),
      );
    } else if (error.code === "offline") {
      const retry = h("button", {
        type: "button",
        class: "primary",
        t: "connect.retry",
        on: { click: () => navigate(window.location.pathname, { replace: true }) },
      });
      container.append(...problem("connect.offline_title", ["connect.offline_body"], [retry]));
    } else {
      throw error; // signed out, server trouble: the app's own handling
    }
    return null;
  }
  container.classList.add("connect");
  container.append(...person(scan));
  return null;
}
