// The organizer's attendance export: filters (who, session, day) and CSV / XLSX downloads.
import { api } from "../api.js";
import { h, messageBox, newId } from "../dom.js";
import { field } from "../fields.js";
import { label } from "../i18n.js";

const STATUSES = [
  ["all", "attendance_export.status_all"],
  ["checked-in", "attendance_export.status_checked_in"],
  ["absent", "attendance_export.status_absent"],
];

export async function render(container, { params }) {
  const [slug] = params;
  const base = `/api/events/${slug}`;
  const event = await api("GET", base);

  if (!event.roles.includes("organizer")) {
    container.append(h("h1", { tabindex: "-1", text: event.name }), h("p", { t: "event.not_organizer" }));
    return null;
  }

  // Who: everyone, only people who came, only those who did not.
  const statusGroup = h(
    "fieldset",
    { class: "choice-group" },
    h("legend", { t: "attendance_export.status_legend" }),
    STATUSES.map(([value, key]) =>
      h(
        "label",
        { class: "choice" },
        h("input", { type: "radio", name: "status", value, checked: value === "all" }),
        h("span", { t: key }),
      ),
    ),
  );

  // Where: the whole event, or one session of its schedule.
  const sessionSelect = h(
    "select",
    {},
    h("option", { value: "", t: "attendance_export.session_any" }),
    event.sessions.map((session) =>
      h("option", { value: String(session.id), text: session.room ? `${session.title} · ${session.room}` : session.title }),
    ),
  );

  // When: one day of the event (in its time zone), or every day.
  const dayInput = h("input", { type: "date", min: event.starts_on, max: event.ends_on });

  const summary = h("p", { class: "lead", role: "status" });
  const message = messageBox();
  const link = (key, path) => h("a", { class: "button", download: "", t: key, "data-path": path });
  const csvLink = link("attendance_export.download_csv", "attendance.csv");
  const xlsxLink = link("attendance_export.download_xlsx", "attendance.xlsx");
  const checkinsLink = link("attendance_export.download_checkins", "attendance/checkins.csv");
  csvLink.classList.add("primary");
  const links = [csvLink, xlsxLink, checkinsLink];

  function filters() {
    const query = new URLSearchParams();
    const status = statusGroup.querySelector("input:checked").value;
    if (status !== "all") query.set("status", status);
    if (sessionSelect.value) query.set("session", sessionSelect.value);
    if (dayInput.value && dayInput.checkValidity()) query.set("day", dayInput.value);
    return query;
  }

  function update() {
    message.clear();
    const query = filters();
    const suffix = query.toString() ? `?${query}` : "";
    for (const anchor of links) anchor.href = `${base}/${anchor.dataset.path}${suffix}`;
    const status = STATUSES.find(([value]) => value === (query.get("status") ?? "all"))[1];
    const chosen = event.sessions.find((session) => String(session.id) === query.get("session"));
    label(summary, "attendance_export.summary", {
      who: { t: status },
      where: chosen ? chosen.title : { t: "attendance_export.session_any" },
      when: query.get("day") ?? { t: "attendance_export.day_any" },
    });
  }

  for (const anchor of links) {
    anchor.addEventListener("click", (clickEvent) => {
      // A download started offline would fail with the browser's own, vaguer message.
      if (!navigator.onLine) {
        clickEvent.preventDefault();
        message.show("error.offline");
      }
    });
  }
  statusGroup.addEventListener("change", update);
  sessionSelect.addEventListener("change", update);
  dayInput.addEventListener("change", update);
  dayInput.addEventListener("input", update);

  const downloadsId = newId("downloads");
  container.append(
    h("h1", { tabindex: "-1", t: "attendance_export.title" }),
    h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name })),
    h("p", { class: "muted", t: "attendance_export.intro" }),
    h(
      "form",
      { class: "stack", on: { submit: (submitEvent) => submitEvent.preventDefault() } },
      statusGroup,
      field("session", "attendance_export.session", sessionSelect, { help: "attendance_export.session_help" }),
      field("day", "attendance_export.day", dayInput, {
        help: "attendance_export.day_help",
        helpVars: { timezone: event.timezone },
      }),
    ),
    h(
      "section",
      { class: "stack", "aria-labelledby": downloadsId },
      h("h2", { id: downloadsId, t: "attendance_export.downloads" }),
      summary,
      h("p", { class: "help", t: "attendance_export.formats_help" }),
      message.el,
      h("div", { class: "actions" }, links),
    ),
  );
  update();
  return null;
}
