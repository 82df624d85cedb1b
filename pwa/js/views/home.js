// The home screen: an introduction when signed out, my events and their links when signed in.
import { h } from "../dom.js";
import { formatDateRange } from "../i18n.js";
import { state } from "../state.js";

function eventCard(event) {
  const roles = event.roles.map((role) => h("li", { class: "tag", t: `role.${role}` }));
  const links = [];
  if (event.roles.includes("attendee")) {
    links.push(
      h("a", { class: "button primary", href: `/events/${event.slug}/scan`, t: "scan.link" }),
      h("a", { class: "button primary", href: `/events/${event.slug}/badge`, t: "home.badge_link" }),
      h("a", { class: "button", href: `/events/${event.slug}/connections`, t: "connections.link" }),
      h("a", { class: "button", href: `/events/${event.slug}/followups`, t: "followups.link" }),
      h("a", {
        class: "button",
        href: `/events/${event.slug}/profile`,
        t: "home.profile_link",
      }),
    );
  }
  // Organizers may do everything staff do, checking people in included.
  if (event.roles.includes("staff") || event.roles.includes("organizer")) {
    links.push(h("a", { class: "button primary", href: `/events/${event.slug}/checkin`, t: "home.checkin_link" }));
  }
  if (event.roles.includes("organizer")) {
    links.push(
      h("a", { class: "button secondary", href: `/organize/${event.slug}`, t: "home.organize_link" }),
      h("a", { class: "button secondary", href: `/organize/${event.slug}/badges`, t: "home.print_link" }),
    );
  }
  const dates = h("p", { class: "muted", "data-dates": "" });
  const fillDates = () => {
    dates.textContent = formatDateRange(event.starts_on, event.ends_on);
  };
  fillDates();
  return {
    el: h(
      "li",
      { class: "card" },
      h("h3", { text: event.name }),
      dates,
      h("ul", { class: "tags" }, roles),
      links.length ? h("div", { class: "card-actions" }, links) : null,
    ),
    fillDates,
  };
}

export async function render(container) {
  if (!state.me) {
    container.append(
      h("h1", { tabindex: "-1", t: "home.title_signed_out" }),
      h("p", { class: "lead", t: "home.intro" }),
      h(
        "ul",
        { class: "bullets" },
        h("li", { t: "home.point_scan" }),
        h("li", { t: "home.point_share" }),
        h("li", { t: "home.point_follow_up" }),
      ),
      h("div", { class: "actions" }, h("a", { class: "button primary", href: "/signin", t: "home.signin" })),
    );
    return null;
  }
  const me = state.me;
  const cards = me.events.map(eventCard);
  container.append(
    h("h1", { tabindex: "-1", t: "home.title" }),
    h("p", { class: "muted", t: ["home.signed_in_as", { email: me.email }] }),
    h("h2", { t: "home.events" }),
    cards.length
      ? h("ul", { class: "cards" }, cards.map((card) => card.el))
      : h("p", { t: "home.no_events" }),
  );
  if (me.can_create_events) {
    container.append(
      h("div", { class: "actions" }, h("a", { class: "button primary", href: "/organize/new", t: "home.create_event" })),
    );
  }
  return { onLanguageChange: () => cards.forEach((card) => card.fillDates()) };
}
