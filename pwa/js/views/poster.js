// A room's poster, scanned by an attendee (with the app's scanner or the phone's camera app):
// check in to the session running in that room now, or starting within 15 minutes. The check-in
// goes through the one outbox, so it counts even when the hall's network does not.
import { api } from "../api.js";
import { announce, h } from "../dom.js";
import { label } from "../i18n.js";
import { dismissFailed, queue } from "../outbox/queue.js";
import { outboxEvents } from "../outbox/storage.js";
import { normalizeToken } from "../outbox/tokens.js";
import { state } from "../state.js";

const ANSWER_WAIT_MS = 8000;
// Opening the same poster again within this time shows the answer already given, rather than
// checking in a second time (a reload, the back button).
const REMEMBERED_MS = 10 * 60_000;

/** A time as the poster on the door shows it: in the event's time zone. */
function time(iso, zone) {
  return new Intl.DateTimeFormat(state.language, { timeStyle: "short", timeZone: zone }).format(new Date(iso));
}

function today(iso, zone) {
  const day = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" }).format(date);
  return day(new Date(iso)) === day(new Date());
}

/** The event a poster belongs to when the server cannot be asked: the one I attend today. */
function eventToday() {
  // Today as each event counts days, in its own time zone (not the phone's, nor UTC).
  const today = (zone) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" }).format(new Date());
  const attending = (state.me?.events ?? []).filter((e) => {
    if (!e.roles.includes("attendee")) return false;
    const now = today(e.timezone);
    return e.starts_on <= now && now <= e.ends_on;
  });
  return attending.length === 1 ? attending[0].slug : null;
}

function waitForAnswer(opId) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), ANSWER_WAIT_MS);
    function onSettled({ detail }) {
      const answer = (detail?.results ?? []).find((result) => String(result.id) === opId);
      if (answer) finish(answer);
    }
    function finish(answer) {
      clearTimeout(timer);
      outboxEvents.removeEventListener("settled", onSettled);
      resolve(answer);
    }
    outboxEvents.addEventListener("settled", onSettled);
  });
}

export async function render(container, { params }) {
  const token = normalizeToken(params[0]);
  const heading = h("h1", { tabindex: "-1", t: "poster.title" });
  const box = h("div", { class: "message" });
  const sessions = h("section", { class: "stack", hidden: true, "aria-labelledby": "poster-sessions-title" });
  container.append(heading, box, sessions);

  function say(kind, key, vars = {}) {
    box.className = `message message-${kind}`;
    box.replaceChildren(h("p", { t: [key, vars] }));
    announce(key, vars);
  }

  if (!token) {
    say("error", "poster.unknown");
    return null;
  }
  let info = null;
  try {
    info = await api("GET", `/api/posters/${token}`);
  } catch (error) {
    if (error.code !== "offline") {
      say("error", error.code === "unknown_poster" ? "poster.unknown" : "poster.failed");
      return null;
    }
  }
  const event = info?.event ?? eventToday();
  if (!event) {
    say("error", "poster.offline_unknown_event");
    return null;
  }
  if (info) {
    label(heading, "poster.room_title", { room: info.room });
    const todays = info.sessions.filter((session) => today(session.starts_at, info.timezone));
    if (todays.length) {
      sessions.hidden = false;
      sessions.replaceChildren(
        h("h2", { id: "poster-sessions-title", t: "poster.sessions_today" }),
        h(
          "ul",
          { class: "cards" },
          todays.map((session) => h("li", { class: "card" }, h("p", { class: "card-name", text: session.title }), h("p", { class: "muted", text: `${time(session.starts_at, info.timezone)} – ${time(session.ends_at, info.timezone)}` }))),
        ),
      );
    }
  }

  const rememberKey = `enlace-poster:${state.me.email}:${token}`;
  const remembered = JSON.parse(sessionStorage.getItem(rememberKey) ?? "null");
  let answer = remembered && Date.now() - remembered.madeAt < REMEMBERED_MS ? remembered.answer : undefined;
  if (answer === undefined) {
    say("info", "poster.checking");
    const offline = !info || !navigator.onLine;
    const [made] = await queue({ kind: "checkin", event, poster: token, offline });
    // Offline there is no answer to wait for: the outbox sends it when the network returns.
    answer = offline ? null : await waitForAnswer(made.id);
    // Only a final answer is remembered; opened again later, the page asks the server again.
    if (answer) sessionStorage.setItem(rememberKey, JSON.stringify({ madeAt: Date.now(), answer }));
  }
  if (!answer) {
    say("success", "poster.saved_offline", { room: info?.room ?? "" });
    return null;
  }
  // Said here, so it need not wait in "could not sync" too.
  if (answer.status !== "applied") await dismissFailed(answer.id);
  const reason = answer.reason === "duplicate" ? answer.original_reason : answer.reason;
  const vars = { session: answer.session_title ?? "", room: answer.room ?? info?.room ?? "" };
  if (reason === "checked_in" || reason === "already") say("success", `poster.${reason}`, vars);
  else say("error", `poster.refused.${reason}`, vars);
  return null;
}
