// Service worker registration and the "update available" banner (never swaps code by itself).
import { announce } from "./dom.js";

let reloadRequested = false;

function offerUpdate(worker) {
  const banner = document.getElementById("update-banner");
  const button = document.getElementById("update-reload");
  banner.hidden = false;
  announce("update.available");
  button.onclick = () => {
    reloadRequested = true;
    button.disabled = true;
    worker.postMessage({ type: "SKIP_WAITING" });
  };
}

export async function watchForUpdates() {
  if (!("serviceWorker" in navigator)) return;
  // The first install also changes the controller (clients.claim); only a requested update reloads.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadRequested) window.location.reload();
  });
  let registration;
  try {
    registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch {
    registration = null;
  }
  if (!registration) return; // no offline support in this browser session; the app still works

  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offerUpdate(worker);
    });
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") registration.update().catch(() => {});
  });
}
