// Check-in mode for staff: choose the place, then scan badge after badge. Every scan is answered
// at once from the staff list kept on the phone (colour, icon, words, vibration and a tone),
// queued in the one outbox, and corrected if the server, once reached, answers otherwise.
import { ApiError } from "../api.js";
import { announce, h, newId } from "../dom.js";
import { has, label, reasonKey } from "../i18n.js";
import { queue } from "../outbox/queue.js";
import { forgetStaffLists, indexList, judge, keepCheckin, localCheckins, markUndone, refreshList, savedList } from "../outbox/stafflist.js";
import { outboxEvents } from "../outbox/storage.js";
import { tokenFromScan } from "../outbox/tokens.js";
import { createScanner } from "../scanner.js";
import { state } from "../state.js";
import { failedList } from "./failed-list.js";

const SAME_BADGE_QUIET_MS = 3000; // a badge held in front of the camera is checked in once
const RESULT_SHOWN_MS = 4000;
const MATCHES_SHOWN = 20;
// The look of each answer: good (green), already (amber), refused (red).
const TONE = {
  checked_in: "good",
  already: "warn",
  queued: "warn",
  undone: "warn",
  unknown_badge: "bad",
  revoked: "bad",
  deleted_account: "bad",
  not_registered: "bad",
  unknown_attendee: "bad",
};
const ICON = { good: "✓", warn: "!", bad: "✕" };

function placeKey(slug) {
  return `enlace-checkin-place:${state.me?.email ?? ""}:${slug}`;
}

/** A time as the event's clocks and posters show it (its time zone), whatever the phone's is. */
function time(iso, withDate = false, zone = eventZone) {
  const options = withDate ? { dateStyle: "medium", timeStyle: "short" } : { timeStyle: "short" };
  return new Intl.DateTimeFormat(state.language, { ...options, timeZone: zone ?? undefined }).format(new Date(iso));
}

let eventZone = null; // the event's time zone, once known

/** A short tone through Web Audio: one high beep for yes, two low ones for anything else. */
function makeBeeper() {
  let context = null;
  return {
    // Browsers let a page make sound only after a tap: the place choice is that tap.
    unlock() {
      const Context = window.AudioContext ?? window.webkitAudioContext;
      if (!context && Context) context = new Context();
      context?.resume?.();
    },
    beep(tone) {
      if (!context || context.state !== "running") return;
      const notes = tone === "good" ? [[880, 0]] : [[330, 0], [330, 0.18]];
      for (const [frequency, start] of notes) {
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.frequency.value = frequency;
        gain.gain.value = 0.2;
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(context.currentTime + start);
        oscillator.stop(context.currentTime + start + 0.12);
      }
    },
  };
}

function placeName(index, place) {
  if (place === "entrance") return { t: "checkin.entrance" };
  const session = index?.sessions.get(String(place));
  return session ? { text: session.room ? `${session.title} · ${session.room}` : session.title } : { t: "checkin.unknown_place" };
}

export async function render(container, { params }) {
  const [slug] = params;
  const event = state.me.events.find((candidate) => candidate.slug === slug);
  eventZone = event?.timezone ?? null;
  // Staff and organizers only; from the cached account, so the screen opens offline too.
  if (!event || !event.roles.some((role) => role === "staff" || role === "organizer")) {
    throw new ApiError(404, { code: "event_not_found" });
  }
  let list = null;
  let index = null;
  let local = [];
  const listStatus = h("p", { class: "muted", role: "status" });
  async function loadList(force = false) {
    try {
      list = await refreshList(slug, { force });
    } catch (error) {
      if (error.status === 404) {
        // No longer staff of this event: the names kept for it go.
        await forgetStaffLists(state.me.email, slug);
        throw error;
      }
      list = await savedList(slug);
      if (!list && error.code !== "offline") throw error;
    }
    index = list ? indexList(list) : null;
    local = await localCheckins(slug);
    drawListStatus();
  }
  function drawListStatus() {
    if (list) label(listStatus, "checkin.list_from", { count: list.people.length, when: time(list.checkedAt, true) });
    else label(listStatus, "checkin.no_list");
  }
  await loadList();

  const beeper = makeBeeper();
  let place = localStorage.getItem(placeKey(slug));
  if (place && place !== "entrance" && index && !index.sessions.has(place)) place = null;

  const title = h("h1", { tabindex: "-1", t: "checkin.title" });
  const placeSection = h("section", { class: "stack", "aria-labelledby": "checkin-place-title" });
  const scanSection = h("section", { class: "stack", "aria-labelledby": "checkin-scan-title", hidden: true });
  container.append(title, h("p", { class: "muted", text: event.name }), listStatus, placeSection, scanSection);

  // 1. The place.
  function drawPlaces() {
    const choices = [["entrance", { t: "checkin.entrance" }, null]];
    for (const session of index?.sessions.values() ?? []) {
      const when = `${time(session.starts_at, true)} – ${time(session.ends_at)}`;
      choices.push([String(session.id), { text: session.title }, [session.room, when].filter(Boolean).join(" · ")]);
    }
    const form = h(
      "form",
      { class: "stack" },
      h(
        "fieldset",
        { class: "choice-group" },
        h("legend", { t: "checkin.place_legend" }),
        choices.map(([value, name, detail]) => {
          const id = newId("place");
          return h(
            "div",
            { class: "choice" },
            h("input", { type: "radio", name: "place", id, value, checked: value === (place ?? "entrance") }),
            h("label", { for: id }, h("span", name), detail ? h("span", { class: "muted choice-detail", text: ` ${detail}` }) : null),
          );
        }),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", t: "checkin.start" })),
    );
    form.addEventListener("submit", (submitted) => {
      submitted.preventDefault();
      beeper.unlock();
      place = form.elements.place.value;
      localStorage.setItem(placeKey(slug), place);
      startScanning();
    });
    placeSection.replaceChildren(h("h2", { id: "checkin-place-title", t: "checkin.place_title" }), form);
  }

  // 2. Scanning.
  const video = h("video", { class: "scanner-video", autoplay: true, muted: true, playsinline: true, "aria-hidden": "true" });
  const viewer = h("div", { class: "scanner-view" }, video, h("div", { class: "scanner-aim", "aria-hidden": "true" }));
  const cameraStatus = h("p", { class: "scanner-status", t: "scan.starting" });
  const result = h("div", { class: "checkin-result", hidden: true, tabindex: "-1" });
  const here = h("p", { class: "checkin-here" });
  const recent = h("ul", { class: "cards checkin-recent" });
  const failed = failedList(slug, ["checkin", "checkin_undo"], (item) => {
    const made = local.find((record) => record.id === item.op.id) ?? allMade.get(item.op.id);
    return made?.name ?? null;
  });
  const allMade = new Map(); // this visit's check-ins by operation id, undone ones too
  const search = h("input", { type: "search", id: "checkin-search", autocomplete: "off", spellcheck: "false", maxlength: "100" });
  const matches = h("ul", { class: "cards checkin-matches", "aria-live": "polite" });
  let hideTimer = null;
  let lastToken = "";
  let lastSeen = 0;

  let shownOpId = null; // the check-in whose answer is on screen

  function showResult(outcome, { person = null, firstAt = null, opId = null, corrected = false } = {}) {
    const tone = TONE[outcome] ?? "bad";
    clearTimeout(hideTimer);
    shownOpId = opId;
    result.className = `checkin-result checkin-${tone}`;
    result.hidden = false;
    // An answer this screen has no words of its own for (a server newer than the app, say).
    const known = has(`checkin.outcome.${outcome}`);
    const heading = h("p", { class: "checkin-outcome", t: known ? `checkin.outcome.${outcome}` : "checkin.outcome.refused" });
    const lines = [
      h("span", { class: "checkin-icon", "aria-hidden": "true", text: ICON[tone] }),
      heading,
      person ? h("p", { class: "checkin-name", dir: "auto", text: person.name }) : null,
      person?.organization ? h("p", { class: "checkin-org", dir: "auto", text: person.organization }) : null,
      firstAt ? h("p", { t: ["checkin.first_at", { when: time(firstAt, true) }] }) : null,
      corrected ? h("p", { t: "checkin.corrected" }) : null,
      tone === "bad" ? h("p", { class: "checkin-advice", t: has(`checkin.advice.${outcome}`) ? `checkin.advice.${outcome}` : reasonKey(outcome) }) : null,
    ];
    const actions = h("div", { class: "actions actions-row" });
    if (opId && (outcome === "checked_in" || outcome === "already")) {
      actions.append(h("button", { type: "button", t: "checkin.undo", on: { click: () => undo(opId) } }));
    }
    actions.append(h("button", { type: "button", class: "primary", t: "checkin.next", on: { click: hideResult } }));
    result.replaceChildren(...lines.filter(Boolean), actions);
    announce("checkin.announce", { outcome: heading.textContent, name: person?.name ?? "" });
    navigator.vibrate?.(tone === "good" ? 80 : [60, 80, 60, 80, 60]);
    beeper.beep(tone);
    // Focus goes to the answer, so a screen reader reads it and Next is one key away; it stays
    // until the next scan, or hides after a few seconds unless someone is using its buttons.
    result.focus();
    hideTimer = setTimeout(function hideUnlessUsed() {
      if (result.contains(document.activeElement) && document.activeElement !== result) {
        hideTimer = setTimeout(hideUnlessUsed, RESULT_SHOWN_MS);
      } else {
        hideResult();
      }
    }, RESULT_SHOWN_MS);
  }

  function hideResult() {
    clearTimeout(hideTimer);
    // Back to the heading, not the search box: a phone would open its keyboard over the camera.
    if (result.contains(document.activeElement)) scanSection.querySelector("h2")?.focus();
    result.hidden = true;
  }

  async function checkIn(who) {
    // Without the list (never online on this phone yet) the server judges the check-in later.
    const verdict = index ? await judge(index, local, who, place) : { outcome: "queued" };
    const op = { kind: "checkin", event: slug, place: place === "entrance" ? "entrance" : Number(place), offline: !navigator.onLine };
    if (who.token) op.scanned = who.token;
    else op.attendee = who.attendee;
    const admitted = verdict.outcome === "checked_in" || verdict.outcome === "already";
    const recordOf = (made) => ({ id: made.id, event: slug, place, at: made.at, attendee: verdict.person?.id ?? null, name: verdict.person?.name ?? null, outcome: verdict.outcome });
    // The phone's own record of an admitted check-in is saved with its operation, in one go.
    const [made] = await queue(op, null, { kept: admitted ? ([first]) => ({ store: "checkins", value: recordOf(first) }) : null });
    const record = recordOf(made);
    allMade.set(made.id, record);
    if (admitted) local = await localCheckins(slug);
    showResult(verdict.outcome, { ...verdict, opId: made.id });
    drawRecent();
  }

  async function undo(opId) {
    const record = allMade.get(opId);
    const kept = record ? () => ({ store: "checkins", value: { ...record, undone: true } }) : null;
    await queue({ kind: "checkin_undo", event: slug, checkin: opId }, null, { kept });
    if (!record) await markUndone(opId);
    local = await localCheckins(slug);
    if (record) record.undone = true;
    showResult("undone", { person: record?.attendee ? index?.people.get(record.attendee) : null });
    drawRecent();
  }

  function drawRecent() {
    const shown = [...allMade.values()].reverse().slice(0, 10);
    recent.replaceChildren(
      ...shown.map((record) => {
        const whoId = newId("recent");
        return h(
          "li",
          { class: "card" },
          h("p", { id: whoId, class: "card-name", dir: "auto", text: record.name ?? "—" }),
          h("p", { class: "muted", t: has(`checkin.outcome.${record.outcome}`) || record.undone ? `checkin.outcome.${record.undone ? "undone" : record.outcome}` : "checkin.outcome.refused" }),
          h("p", { class: "muted", text: time(record.at) }),
          !record.undone && (record.outcome === "checked_in" || record.outcome === "already")
            ? h("button", { type: "button", t: "checkin.undo", "aria-describedby": whoId, on: { click: () => undo(record.id) } })
            : null,
        );
      }),
    );
  }

  // The server's answer, when it differs from the phone's (a badge replaced since the list was
  // fetched, say), replaces what is shown and the list is fetched again.
  async function onSettled({ detail }) {
    for (const answer of detail?.results ?? []) {
      const record = allMade.get(String(answer.id));
      if (!record || answer.kind !== "checkin") continue;
      const reason = answer.reason === "duplicate" ? answer.original_reason : answer.reason;
      if (reason && reason !== record.outcome) {
        record.outcome = reason;
        record.attendee = answer.attendee ?? record.attendee;
        record.name = answer.name ?? record.name;
        if (answer.status !== "applied") await markUndone(record.id);
        else if (!record.undone) await keepCheckin(record);
        local = await localCheckins(slug);
        if (!result.hidden && shownOpId === record.id) {
          const person = index?.people.get(answer.attendee) ?? (answer.name ? { name: answer.name, organization: answer.organization } : null);
          showResult(reason, { person, opId: record.id, corrected: true });
        }
        drawRecent();
        loadList(true).catch(() => {});
      }
    }
    failed.draw();
  }
  outboxEvents.addEventListener("settled", onSettled);

  function drawMatches() {
    const words = search.value.trim().toLocaleLowerCase(state.language).normalize("NFD").replace(/\p{M}/gu, "");
    if (!words) {
      matches.replaceChildren();
      return;
    }
    if (!index) {
      matches.replaceChildren(h("li", { class: "muted", t: "checkin.no_list" }));
      return;
    }
    const found = [];
    for (const person of index.people.values()) {
      const text = `${person.name} ${person.organization}`.toLocaleLowerCase(state.language).normalize("NFD").replace(/\p{M}/gu, "");
      if (words.split(/\s+/).every((word) => text.includes(word))) found.push(person);
      if (found.length > MATCHES_SHOWN) break;
    }
    matches.replaceChildren(
      ...(found.length
        ? found.slice(0, MATCHES_SHOWN).map((person) => {
            const nameId = newId("person");
            return h(
              "li",
              { class: "card" },
              h("p", { id: nameId, class: "card-name", dir: "auto", text: person.name }),
              person.organization ? h("p", { class: "card-org", dir: "auto", text: person.organization }) : null,
              person.checked[String(place)] || local.some((c) => c.attendee === person.id && String(c.place) === String(place))
                ? h("p", { class: "muted", t: "checkin.outcome.already" })
                : null,
              h("button", {
                type: "button",
                t: "checkin.check_in_person",
                "aria-describedby": nameId,
                on: { click: () => checkIn({ attendee: person.id }) },
              }),
            );
          })
        : [h("li", { class: "muted", t: "checkin.no_match" })]),
    );
  }
  search.addEventListener("input", drawMatches);

  const scanner = createScanner(video, {
    onState(name) {
      const broken = ["denied", "no_camera", "unsupported", "failed"].includes(name);
      viewer.hidden = broken;
      label(cameraStatus, broken ? `scan.${name}_title` : `scan.${name}`);
      if (name !== "starting") announce(broken ? `scan.${name}_title` : `scan.${name}`);
    },
    onText(text) {
      const token = tokenFromScan(text);
      const now = Date.now();
      const key = token ?? text;
      if (key === lastToken && now - lastSeen < SAME_BADGE_QUIET_MS) return;
      [lastToken, lastSeen] = [key, now];
      if (token) checkIn({ token });
      else showResult("unknown_badge");
    },
  });

  function startScanning() {
    placeSection.hidden = true;
    scanSection.hidden = false;
    here.replaceChildren(h("span", { t: "checkin.here" }), " ", h("strong", placeName(index, place)));
    scanSection.querySelector("h2")?.focus();
    scanner.start();
  }

  const manualId = "checkin-manual-title";
  scanSection.append(
    h("h2", { id: "checkin-scan-title", tabindex: "-1", t: "checkin.scan_title" }),
    here,
    h(
      "div",
      { class: "actions" },
      h("button", {
        type: "button",
        t: "checkin.change_place",
        on: {
          click: () => {
            scanner.stop();
            hideResult();
            scanSection.hidden = true;
            placeSection.hidden = false;
            drawPlaces();
            placeSection.querySelector("input:checked")?.focus();
          },
        },
      }),
    ),
    viewer,
    cameraStatus,
    result,
    h(
      "section",
      { class: "stack", "aria-labelledby": manualId },
      h("h2", { id: manualId, t: "checkin.manual_title" }),
      h("div", { class: "field" }, h("label", { for: "checkin-search", t: "checkin.search_label" }), search),
      matches,
    ),
    h("section", { class: "stack", "aria-labelledby": "checkin-recent-title" }, h("h2", { id: "checkin-recent-title", t: "checkin.recent_title" }), recent),
    failed.el,
  );

  // What this phone checked in before (a reload, another visit) can still be undone.
  for (const record of [...local].sort((a, b) => (a.at < b.at ? -1 : 1))) allMade.set(record.id, record);
  drawRecent();
  drawPlaces();
  if (place) startScanning();
  // Keep the list fresh while the screen is open (others check people in too).
  const refresher = setInterval(() => {
    if (navigator.onLine) loadList().catch(() => {});
  }, 60_000);
  // Back online: fetch at once (a phone that opened this screen offline has no list yet).
  const onOnline = () => loadList(true).then(() => (placeSection.hidden ? null : drawPlaces())).catch(() => {});
  window.addEventListener("online", onOnline);

  return {
    leave() {
      scanner.stop();
      clearTimeout(hideTimer);
      clearInterval(refresher);
      window.removeEventListener("online", onOnline);
      outboxEvents.removeEventListener("settled", onSettled);
    },
    onLanguageChange() {
      drawListStatus();
      drawPlaces();
      drawRecent();
      if (place && !placeSection.hidden) return;
      here.replaceChildren(h("span", { t: "checkin.here" }), " ", h("strong", placeName(index, place)));
    },
  };
}
