// Boot and routing: loads catalogs and the account, renders the screen for the address, runs the header.
import { api } from "./api.js";
import { announce, announceError, h } from "./dom.js";
import { applyLanguage, label, loadCatalogs, pickLanguage, saveLanguage } from "./i18n.js";
import { REFRESH_MS, forgetStarterKits, refreshDirectories } from "./outbox/directory.js";
import { resume, startOutbox } from "./outbox/queue.js";
import { FOLLOWUP_KINDS, forgetDrafts } from "./outbox/followups.js";
import { forgetStaffLists } from "./outbox/stafflist.js";
import { outboxEvents } from "./outbox/storage.js";
import { state } from "./state.js";
import { watchForUpdates } from "./updates.js";
import * as attendance from "./views/attendance.js";
import * as attendees from "./views/attendees.js";
import * as badge from "./views/badge.js";
import * as checkin from "./views/checkin.js";
import * as connect from "./views/connect.js";
import * as connections from "./views/connections.js";
import * as dashboard from "./views/dashboard.js";
import * as digest from "./views/digest.js";
import * as eventForm from "./views/event-form.js";
import * as followups from "./views/followups.js";
import * as home from "./views/home.js";
import * as importer from "./views/import.js";
import * as notFound from "./views/not-found.js";
import * as poster from "./views/poster.js";
import * as posters from "./views/posters.js";
import * as print from "./views/print.js";
import * as profile from "./views/profile.js";
import * as scan from "./views/scan.js";
import * as setup from "./views/setup.js";
import * as signin from "./views/signin.js";
import * as staff from "./views/staff.js";
import * as unsubscribe from "./views/unsubscribe.js";

// [address pattern, view, needs a signed-in account]
const ROUTES = [
  [/^\/$/, home, false],
  [/^\/(profile|organize)\/?$/, home, false],
  [/^\/signin$/, signin, false],
  [/^\/events\/([a-z0-9-]+)\/profile$/, profile, true],
  // An invitation's link lands here after sign-in.
  [/^\/events\/([a-z0-9-]+)\/setup$/, setup, true],
  [/^\/events\/([a-z0-9-]+)\/badge$/, badge, true],
  [/^\/events\/([a-z0-9-]+)\/scan$/, scan, true],
  [/^\/events\/([a-z0-9-]+)\/connections$/, connections, true],
  [/^\/events\/([a-z0-9-]+)\/checkin$/, checkin, true],
  // The digest e-mail's link lands here after sign-in.
  [/^\/events\/([a-z0-9-]+)\/followups(?:\/(\d+))?\/?$/, followups, true],
  // A room's poster: its QR is upper case too.
  [/^\/[rR]\/([0-9A-Za-z-]+)\/?$/, poster, true],
  // A badge's QR URL is upper case (compact QR mode); typed links may be lower case.
  [/^\/[bB]\/([0-9A-Za-z-]+)\/?$/, connect, true],
  [/^\/organize\/new$/, eventForm, true],
  [/^\/organize\/([a-z0-9-]+)\/import$/, importer, true],
  [/^\/organize\/([a-z0-9-]+)\/attendees(?:\/(\d+))?\/?$/, attendees, true],
  [/^\/organize\/([a-z0-9-]+)\/badges$/, print, true],
  [/^\/organize\/([a-z0-9-]+)\/posters$/, posters, true],
  [/^\/organize\/([a-z0-9-]+)\/staff$/, staff, true],
  [/^\/organize\/([a-z0-9-]+)\/edit$/, eventForm, true],
  [/^\/organize\/([a-z0-9-]+)\/attendance$/, attendance, true],
  [/^\/organize\/([a-z0-9-]+)\/followups$/, digest, true],
  // A digest's unsubscribe link works without signing in.
  [/^\/unsubscribe\/([0-9]+-[A-Za-z0-9_-]+)$/, unsubscribe, false],
  [/^\/organize\/([a-z0-9-]+)$/, dashboard, true],
];

const main = document.getElementById("main");
let renderCount = 0;
let currentView = null;

async function refreshMe() {
  try {
    state.me = await api("GET", "/api/me");
  } catch (error) {
    if (error.code !== "offline") state.me = null;
  }
  updateHeader();
  return state.me;
}

function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
  window.scrollTo(0, 0);
}

async function signedIn(answer) {
  // Offline data must survive storage pressure; browsers may ignore or refuse the request.
  navigator.storage?.persist?.().catch(() => {});
  await refreshMe();
  resume(); // writes waiting for a new sign-in go now
  keepDirectories();
  applyLanguage(pickLanguage(answer.language));
  const next = typeof answer.next === "string" && /^\/(?![/\\])/.test(answer.next) ? answer.next : "/";
  navigate(next, { replace: true });
}

function updateTitle(container) {
  const heading = container.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Enlace` : "Enlace";
}

async function render({ focus = true } = {}) {
  const count = ++renderCount;
  const path = window.location.pathname;
  let view = notFound;
  let params = [];
  let needsAccount = false;
  for (const [pattern, candidate, auth] of ROUTES) {
    const found = path.match(pattern);
    if (found) {
      [view, params, needsAccount] = [candidate, found.slice(1), auth];
      break;
    }
  }
  if (needsAccount && !state.me) {
    navigate(`/signin?next=${encodeURIComponent(path)}`, { replace: true });
    return;
  }
  const container = h("div", { class: "view" });
  main.setAttribute("aria-busy", "true");
  const context = { params, navigate, signedIn };
  let handle = null;
  try {
    handle = await view.render(container, context);
  } catch (error) {
    if (error.code === "not_signed_in") {
      // The session ended elsewhere (signed out, expired): sign in again and come back here.
      state.me = null;
      updateHeader();
      navigate(`/signin?next=${encodeURIComponent(path)}`, { replace: true });
      return;
    }
    container.replaceChildren(...notFound.failure(error));
  }
  if (count !== renderCount) {
    handle?.leave?.(); // a newer navigation won: release what this view holds (the camera)
    return;
  }
  currentView?.leave?.();
  main.replaceChildren(container);
  main.removeAttribute("aria-busy");
  currentView = handle;
  updateTitle(container);
  // A view may name where focus belongs (back from a person: their card), else the heading.
  if (focus) (handle?.focusTarget?.() ?? container.querySelector("h1"))?.focus();
}

function interceptLinks(event) {
  const link = event.target.closest("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.hash && url.pathname === window.location.pathname) return; // e.g. the skip link
  event.preventDefault();
  navigate(url.pathname + url.search);
}

function updateHeader() {
  document.getElementById("signout").hidden = !state.me;
  for (const button of document.querySelectorAll("[data-language]")) {
    button.setAttribute("aria-pressed", String(button.dataset.language === state.language));
  }
}

async function switchLanguage(lang) {
  if (lang === state.language) return;
  saveLanguage(lang);
  applyLanguage(lang);
  updateHeader();
  updateTitle(main);
  currentView?.onLanguageChange?.();
  announce("language.changed");
  if (state.me) {
    try {
      state.me = await api("PATCH", "/api/me", { language: lang });
    } catch (error) {
      if (error.code !== "offline") announceError(error);
    }
  }
}

async function signOut() {
  try {
    await api("POST", "/api/auth/signout");
  } catch (error) {
    if (error.code === "offline") {
      announceError(error);
      return;
    }
  }
  const account = state.me?.email;
  state.me = null;
  // A check-in phone's staff lists name everyone: they go with the session.
  if (account) await forgetStaffLists(account).catch(() => {});
  // So do my own terms, kept beside the sealed cards for starters offline.
  if (account) await forgetStarterKits(account).catch(() => {});
  // Drafted messages quote private notes: they go with the session too.
  if (account) forgetDrafts(account);
  // Cached API answers hold this person's data; they must not outlive the session.
  if ("caches" in window) {
    for (const name of await caches.keys()) if (name.startsWith("enlace-api")) await caches.delete(name);
  }
  updateHeader();
  navigate("/");
  announce("signout.done");
}

/** Keep the cards of my events for offline scans (when online and signed in; at most every
 * REFRESH_MS per event, see directory.js). */
function keepDirectories() {
  if (!state.me || !navigator.onLine) return;
  const slugs = state.me.events.filter((event) => event.roles.includes("attendee")).map((event) => event.slug);
  refreshDirectories(slugs);
  keepMyBadges(slugs);
}

/**
 * My badge opens offline even if its screen was never opened: read once the service worker (which
 * keeps API answers for offline use) controls this page, then at each refresh (a reissued badge).
 */
async function keepMyBadges(slugs) {
  const worker = navigator.serviceWorker;
  if (!worker || !slugs.length) return;
  if (!worker.controller) {
    await new Promise((resolve) => {
      worker.addEventListener("controllerchange", resolve, { once: true });
      setTimeout(resolve, 10_000);
    });
  }
  if (!worker.controller) return;
  for (const slug of slugs) await api("GET", `/api/events/${encodeURIComponent(slug)}/me/badge`).catch(() => {});
}

/** "N waiting to sync", "could not sync" and "sign in again" in the header. */
function watchOutbox() {
  // The session now belongs to someone else (signed in from another tab): show and send theirs.
  outboxEvents.addEventListener("account", async () => {
    await refreshMe();
    render();
    resume();
  });
  const status = document.getElementById("sync-status");
  const text = status.querySelector("[data-sync-text]");
  const link = status.querySelector("a");
  // An older version open in another tab keeps the phone's store from upgrading.
  outboxEvents.addEventListener("blocked", () => {
    status.hidden = false;
    link.hidden = true;
    label(text, "sync.blocked");
    announce("sync.blocked");
  });
  outboxEvents.addEventListener("change", ({ detail }) => {
    const { pending, failed, signInNeeded } = detail;
    status.hidden = !pending && !failed.length;
    if (status.hidden) return;
    if (pending) label(text, pending === 1 ? "sync.pending_one" : "sync.pending", { count: pending });
    else label(text, "sync.failed_count", { count: failed.length });
    const slug = failed[0]?.op.event;
    link.hidden = !(signInNeeded || slug);
    if (signInNeeded) {
      label(link, "sync.signin");
      link.href = `/signin?next=${encodeURIComponent(window.location.pathname)}`;
    } else if (slug) {
      label(link, "sync.see_failed");
      // Staff find their refused check-ins on the check-in screen, follow-up changes are on the
      // follow-ups screen, everything else with connections.
      const staffWrite = failed[0].op.kind.startsWith("checkin") && !failed[0].op.poster;
      const screen = staffWrite ? "checkin" : FOLLOWUP_KINDS.includes(failed[0].op.kind) ? "followups" : "connections";
      link.href = `/events/${slug}/${screen}`;
    }
  });
}

function watchConnectivity() {
  const banner = document.getElementById("offline-banner");
  const update = () => {
    state.online = navigator.onLine;
    banner.hidden = state.online;
  };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
}

async function boot() {
  watchConnectivity();
  watchOutbox();
  await Promise.all([loadCatalogs(), refreshMe()]);
  applyLanguage(pickLanguage(state.me?.language));
  updateHeader();
  for (const button of document.querySelectorAll("[data-language]")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.language));
  }
  document.getElementById("signout").addEventListener("click", signOut);
  document.addEventListener("click", interceptLinks);
  window.addEventListener("popstate", () => render());
  await render({ focus: false });
  document.documentElement.dataset.ready = "true";
  startOutbox();
  keepDirectories();
  window.addEventListener("online", keepDirectories);
  // Revoked badges and people who leave the offline cards drop off the phone within minutes.
  // Ticking at half the period: a copy checked just under REFRESH_MS ago is not skipped twice.
  setInterval(keepDirectories, REFRESH_MS / 2);
  watchForUpdates();
}

boot();
