// The organizer's dashboard: links to the event's screens, attendance, check-ins and networking in aggregate, kept fresh.
import { api } from "../api.js";
import { barChart } from "../bar-chart.js";
import { h, messageBox, newId, section } from "../dom.js";
import { label, t } from "../i18n.js";
import { state } from "../state.js";
import { invitationsSection } from "./invitations.js";

// About every 30 s while the screen is visible; a hidden tab asks for nothing.
const REFRESH_MS = 30_000;

function organizerLinks(slug) {
  const links = [
    [`/organize/${slug}/edit`, "dashboard.link_edit"],
    [`/organize/${slug}/import`, "event.import_link"],
    [`/organize/${slug}/attendees`, "dashboard.link_attendees"],
    [`/organize/${slug}/badges`, "home.print_link"],
    [`/organize/${slug}/posters`, "dashboard.link_posters"],
    [`/organize/${slug}/staff`, "dashboard.link_staff"],
    [`/organize/${slug}/attendance`, "dashboard.link_attendance"],
    [`/organize/${slug}/followups`, "dashboard.link_digest"],
    [`/events/${slug}/checkin`, "dashboard.link_checkin"],
  ];
  const headingId = newId("screens");
  return h(
    "nav",
    { class: "stack", "aria-labelledby": headingId },
    h("h2", { id: headingId, class: "visually-hidden", t: "dashboard.screens" }),
    h(
      "ul",
      { class: "organizer-links" },
      links.map(([href, key]) => h("li", {}, h("a", { class: "button", href, t: key }))),
    ),
  );
}

export async function render(container, { params }) {
  const [slug] = params;
  const path = () => `/api/events/${slug}/dashboard?language=${state.language}`;
  const invitations = invitationsSection(slug);
  let data = await api("GET", path());
  await invitations.refresh();
  let loadedAt = Date.now();
  let timer = null;
  let loading = false;

  const number = (value) => new Intl.NumberFormat(state.language).format(value);
  const percent = (part, whole) =>
    new Intl.NumberFormat(state.language, { style: "percent" }).format(whole ? part / whole : 0);
  const clock = (iso, options = {}) =>
    new Intl.DateTimeFormat(state.language, { timeZone: data.timezone, hour: "2-digit", minute: "2-digit", ...options }).format(
      new Date(iso),
    );
  // Where the clocks changed during the series, say which offset each time is in.
  const times = (bins) => {
    const offsets = new Set(bins.map((bin) => bin.starts_at.slice(19)));
    const days = new Set(bins.map((bin) => bin.starts_at.slice(0, 10)));
    const options = {};
    if (offsets.size > 1) options.timeZoneName = "short";
    if (days.size > 1) Object.assign(options, { weekday: "short", day: "numeric" });
    return (iso) => clock(iso, options);
  };

  const heading = h("h1", { tabindex: "-1", text: data.name });
  const updated = h("p", { class: "muted dashboard-updated" });
  const refreshButton = h("button", { type: "button", class: "secondary small", t: "dashboard.refresh" });
  const refreshMessage = messageBox();

  const registered = h("dd", {});
  const checkedIn = h("dd", {});
  const totals = h(
    "dl",
    { class: "dashboard-totals" },
    h("div", {}, h("dt", { t: "dashboard.registered" }), registered),
    h("div", {}, h("dt", { t: "dashboard.checked_in" }), checkedIn),
  );
  const checkins = barChart({
    caption: "dashboard.checkins_caption",
    kind: "columns",
    columnHeader: "dashboard.col_time",
    valueHeader: "dashboard.col_checkins",
  });
  const checkinsEmpty = h("p", { class: "muted", t: "dashboard.no_checkins" });
  const sessions = barChart({
    caption: "dashboard.sessions_caption",
    kind: "bars",
    columnHeader: "dashboard.col_session",
    valueHeader: "dashboard.col_people",
  });
  const sessionsEmpty = h("p", { class: "muted", t: "dashboard.no_sessions" });
  const hours = barChart({
    caption: "dashboard.hours_caption",
    kind: "columns",
    columnHeader: "dashboard.col_hour",
    valueHeader: "dashboard.col_connections",
  });
  const hoursEmpty = h("p", { class: "muted", t: "dashboard.no_hours" });
  const bands = barChart({
    caption: "dashboard.bands_caption",
    kind: "bars",
    columnHeader: "dashboard.col_band",
    valueHeader: "dashboard.col_people",
  });
  const interests = barChart({
    caption: "dashboard.interests_caption",
    kind: "bars",
    columnHeader: "dashboard.col_interest",
    valueHeader: "dashboard.col_people",
  });
  const interestsEmpty = h("p", { class: "muted", t: "dashboard.no_interests" });

  function draw() {
    heading.textContent = data.name;
    label(updated, "dashboard.updated", {
      time: new Intl.DateTimeFormat(state.language, { timeStyle: "medium", timeZone: data.timezone }).format(new Date(data.generated_at)),
    });
    registered.textContent = number(data.registered);
    label(checkedIn, "dashboard.checked_in_share", {
      count: number(data.checked_in),
      share: percent(data.checked_in, data.registered),
    });

    const quarter = times(data.checkins_over_time);
    checkins.draw(
      data.checkins_over_time.map((bin) => ({ label: quarter(bin.starts_at), value: bin.checkins })),
      number,
    );
    checkins.el.hidden = !data.checkins_over_time.length;
    checkinsEmpty.hidden = !checkins.el.hidden;

    const when = (iso) => clock(iso, { weekday: "short" });
    sessions.draw(
      data.sessions.map((s) => ({ label: `${s.title} · ${when(s.starts_at)}${s.room ? ` · ${s.room}` : ""}`, value: s.people })),
      number,
    );
    sessions.el.hidden = !data.sessions.length;
    sessionsEmpty.hidden = !sessions.el.hidden;

    const net = data.networking;
    const hour = times(net.connections_per_hour);
    hours.draw(
      net.connections_per_hour.map((bin) => ({
        label: hour(bin.starts_at),
        value: bin.connections.value,
        hidden: bin.connections.suppressed,
      })),
      number,
    );
    hours.el.hidden = !net.connections_per_hour.length;
    hoursEmpty.hidden = !hours.el.hidden;

    bands.draw(
      net.people_by_connections.map((band) => ({
        label: t(`dashboard.band_${band.band.replace("+", "_plus").replace("-", "_")}`),
        value: band.people.value,
        hidden: band.people.suppressed,
      })),
      number,
    );

    interests.draw(
      net.shared_interests.map((interest) => ({
        label: interest.label,
        value: interest.people.value,
        hidden: interest.people.suppressed,
      })),
      number,
    );
    interests.el.hidden = !net.shared_interests.length;
    interestsEmpty.hidden = !interests.el.hidden;
  }

  async function refresh() {
    if (loading) return;
    loading = true;
    refreshButton.disabled = true;
    try {
      [data] = await Promise.all([api("GET", path()), invitations.refresh()]);
      loadedAt = Date.now();
      refreshMessage.clear();
      draw();
    } catch (error) {
      // The last figures stay on screen, with the time they are from.
      refreshMessage.error(error);
    } finally {
      loading = false;
      refreshButton.disabled = false;
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (document.visibilityState !== "visible" || !container.isConnected) return;
    timer = setTimeout(async () => {
      await refresh();
      schedule();
    }, Math.max(0, REFRESH_MS - (Date.now() - loadedAt)));
  }

  function onVisibility() {
    if (document.visibilityState === "visible") schedule();
    else {
      clearTimeout(timer);
      timer = null;
    }
  }

  refreshButton.addEventListener("click", async () => {
    await refresh();
    schedule();
  });
  document.addEventListener("visibilitychange", onVisibility);

  container.append(
    heading,
    h("p", { class: "lead", t: "dashboard.title" }),
    organizerLinks(slug),
    h("div", { class: "dashboard-status" }, updated, refreshButton),
    refreshMessage.el,
    invitations.el,
    section("dashboard.attendance", totals),
    section("dashboard.checkins", checkins.el, checkinsEmpty),
    section("dashboard.sessions", sessions.el, sessionsEmpty),
    section(
      "dashboard.networking",
      h("p", { t: "dashboard.privacy" }),
      h("h3", { t: "dashboard.hours" }),
      hours.el,
      hoursEmpty,
      h("h3", { t: "dashboard.bands" }),
      bands.el,
      h("h3", { t: "dashboard.interests" }),
      interests.el,
      interestsEmpty,
    ),
  );
  draw();
  // The first timer starts once the screen is on the page (see schedule's isConnected).
  setTimeout(schedule, 0);

  return {
    leave() {
      clearTimeout(timer);
      timer = null;
      document.removeEventListener("visibilitychange", onVisibility);
    },
    onLanguageChange() {
      // Interest labels come from the server in the reader's language; times and numbers here.
      draw();
      invitations.draw();
      refresh().then(schedule);
    },
  };
}
