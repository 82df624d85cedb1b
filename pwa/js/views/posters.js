// The organizer's room posters: each room with that day's sessions, the paper and day, and the PDF to print.
import { api } from "../api.js";
import { h, messageBox, newId } from "../dom.js";
import { field } from "../fields.js";
import { label } from "../i18n.js";

const PAPERS = [
  ["a4", "posters.paper_a4", "posters.paper_a4_help"],
  ["letter", "posters.paper_letter", "posters.paper_letter_help"],
];

function sessionItem(session) {
  return h(
    "li",
    {},
    h("time", { datetime: session.starts_at, text: `${session.starts}–${session.ends}` }),
    " ",
    h("span", { text: session.title }),
  );
}

function roomCard(room) {
  const heading = h("h3", { text: room.room });
  const sessions = room.sessions.length
    ? h("ul", { class: "poster-sessions" }, room.sessions.map(sessionItem))
    : h("p", { class: "muted", t: "posters.room_no_sessions" });
  return h("li", { class: "card" }, heading, sessions);
}

export async function render(container, { params }) {
  const [slug] = params;
  const base = `/api/events/${slug}`;
  const [event, listing] = await Promise.all([api("GET", base), api("GET", `${base}/posters`)]);
  let paper = "a4";
  let day = listing.day;

  const heading = h("h1", { tabindex: "-1", t: "posters.title" });
  const back = h("p", {}, h("a", { href: `/organize/${slug}`, text: event.name }));
  const intro = h("p", { class: "muted", t: "posters.intro" });

  if (!listing.rooms.length) {
    container.append(
      heading,
      back,
      intro,
      h(
        "div",
        { class: "message stack" },
        h("p", { t: "posters.no_rooms" }),
        h("p", { class: "detail", t: "posters.no_rooms_how" }),
      ),
      h("p", {}, h("a", { class: "button", href: `/organize/${slug}/edit`, t: "posters.edit_schedule" })),
    );
    return null;
  }

  const radios = PAPERS.map(([value, key, help]) => {
    const helpId = newId("paper-help");
    const input = h("input", { type: "radio", name: "paper", value, checked: value === paper, "aria-describedby": helpId });
    return h(
      "div",
      { class: "choice-described" },
      h("label", { class: "choice" }, input, h("span", { t: key })),
      h("p", { class: "help", id: helpId, t: help }),
    );
  });
  const paperGroup = h("fieldset", { class: "choice-group" }, h("legend", { t: "posters.paper_legend" }), radios);
  const daySelect = h(
    "select",
    {},
    listing.days.map((value, index) =>
      h("option", { value, selected: value === day, t: ["posters.day_option", { number: index + 1, date: value }] }),
    ),
  );
  const download = h("a", { class: "button primary", download: "", t: "posters.download" });
  const roomsHeadingId = newId("rooms");
  const roomsHeading = h("h2", { id: roomsHeadingId });
  const rooms = h("ul", { class: "cards" });
  const listMessage = messageBox();
  let request = 0; // only the newest day's answer may draw the list

  function drawRooms(answer) {
    label(roomsHeading, "posters.rooms_title", { count: answer.rooms.length, date: answer.day });
    rooms.replaceChildren(...answer.rooms.map(roomCard));
  }

  function drawLink() {
    download.href = `${base}/posters.pdf?${new URLSearchParams({ paper, day })}`;
  }

  paperGroup.addEventListener("change", (changeEvent) => {
    paper = changeEvent.target.value;
    drawLink();
  });
  daySelect.addEventListener("change", async () => {
    day = daySelect.value;
    drawLink();
    listMessage.clear();
    const mine = (request += 1);
    rooms.setAttribute("aria-busy", "true");
    try {
      const answer = await api("GET", `${base}/posters?${new URLSearchParams({ day })}`);
      if (mine === request) drawRooms(answer);
    } catch (error) {
      if (mine === request) listMessage.error(error);
    } finally {
      if (mine === request) rooms.removeAttribute("aria-busy");
    }
  });

  drawLink();
  drawRooms(listing);
  container.append(
    heading,
    back,
    intro,
    paperGroup,
    field("day", "posters.day", daySelect, { help: "posters.day_help" }),
    h("div", { class: "actions" }, download),
    h("p", { class: "muted", t: "posters.print_hint" }),
    h("section", { class: "stack", "aria-labelledby": roomsHeadingId }, roomsHeading, listMessage.el, rooms),
  );
  return null;
}
