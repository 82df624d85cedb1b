// Service worker: precaches the versioned app shell, serves it offline, keeps API reads for offline use.
// VERSION is a hash of the SHELL files (`make pwa-version`), so any change installs a new worker.
const VERSION = "2580273c794f";
const SHELL_CACHE = `enlace-shell-${VERSION}`;
const API_CACHE = "enlace-api-v1";
const SHELL = [
  "/",
  "/index.html",
  "/app.webmanifest",
  "/css/app.css",
  "/css/dashboard.css",
  "/js/api.js",
  "/js/app.js",
  "/js/bar-chart.js",
  "/js/dom.js",
  "/js/fields.js",
  "/js/i18n.js",
  "/js/outbox/contacts.js",
  "/js/outbox/directory.js",
  "/js/outbox/followups.js",
  "/js/outbox/queue.js",
  "/js/outbox/stafflist.js",
  "/js/outbox/storage.js",
  "/js/outbox/tokens.js",
  "/js/scanner.js",
  "/js/starters.js",
  "/js/state.js",
  "/js/term-list.js",
  "/js/text-fold.js",
  "/js/updates.js",
  "/js/views/attendance.js",
  "/js/views/attendees.js",
  "/js/views/badge.js",
  "/js/views/checkin.js",
  "/js/views/connect.js",
  "/js/views/connections.js",
  "/js/views/contact-form.js",
  "/js/views/dashboard.js",
  "/js/views/digest.js",
  "/js/views/event-form.js",
  "/js/views/failed-list.js",
  "/js/views/followups.js",
  "/js/views/home.js",
  "/js/views/import.js",
  "/js/views/invitations.js",
  "/js/views/not-found.js",
  "/js/views/poster.js",
  "/js/views/posters.js",
  "/js/views/print.js",
  "/js/views/profile.js",
  "/js/views/scan.js",
  "/js/views/setup.js",
  "/js/views/signin.js",
  "/js/views/staff.js",
  "/js/views/unsubscribe.js",
  "/i18n/en.json",
  "/i18n/es.json",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
  "/icons/apple-touch-icon-180.png",
  "/vendor/jsQR.js",
];
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  // No skipWaiting here: a running page keeps its code until the person chooses to reload.
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("enlace-") && name !== SHELL_CACHE && name !== API_CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
      // The page read /api/me before this worker controlled it; keep a copy for offline starts.
      await apiRead(new Request("/api/me", { credentials: "same-origin" })).catch(() => {});
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data?.type === "VERSION") event.ports[0]?.postMessage(VERSION);
});

async function navigation(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // Every app path is the same shell, so any address reloads offline.
    const cached = await caches.match("/index.html", { cacheName: SHELL_CACHE });
    if (cached) return cached;
    throw error;
  }
}

async function shellFile(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE, ignoreSearch: true });
  return cached ?? fetch(request);
}

async function apiRead(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    // Keep JSON reads for offline use (the server marks personal data no-store, which binds the
    // browser's HTTP cache; this store is the app's own, emptied at sign-out). Downloads (images,
    // PDFs, spreadsheets) are not JSON and are not kept.
    const type = response.headers.get("Content-Type") ?? "";
    const keep = response.ok && type.startsWith("application/json");
    if (keep) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return; // writes always go to the network, never to a cache
  // A read the page keeps itself (the directory, with its own validator) goes to the network as asked.
  if (request.cache === "no-store") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigation(request));
  } else if (url.pathname.startsWith("/api/")) {
    event.respondWith(apiRead(request));
  } else if (SHELL_PATHS.has(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});
