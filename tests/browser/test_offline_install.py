"""The app shell works offline, updates only when asked, and Chromium can install the app."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.harness import (
    ATTENDEE,
    CHROMIUM,
    CHROMIUM_ARGS,
    POOL,
    Pages,
    app_ready,
    open_app,
    wait_for_service_worker,
    wait_until,
    watch,
)

# The running worker answers with its VERSION (sw.js: message "VERSION").
ACTIVE_VERSION = """async () => {
  const worker = (await navigator.serviceWorker.getRegistration()).active;
  const channel = new MessageChannel();
  const answer = new Promise((resolve) => { channel.port1.onmessage = (e) => resolve(e.data); });
  worker.postMessage({ type: "VERSION" }, [channel.port2]);
  return answer;
}"""


# The service worker's copy of my badge (the app reads it while online, screen or not).
BADGE_KEPT = """async () => {
  const cache = await caches.open("enlace-api-v1");
  return (await cache.keys()).some((request) => request.url.endsWith("/api/events/demo/me/badge"));
}"""

NOTHING_PENDING_AFTER_UPDATE = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  await registration.update();
  return registration.waiting === null && registration.installing === null;
}"""


def test_the_app_shell_reloads_offline_after_the_first_visit(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    expect(page.get_by_role("heading", name="Enlace Demo 2026")).to_be_visible()

    page.context.set_offline(True)
    page.reload()
    app_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your events")
    expect(page.get_by_role("heading", name="Enlace Demo 2026")).to_be_visible()  # cached /api/me
    expect(page.locator("#offline-banner")).to_be_visible()
    assert page.evaluate("fetch('/health').then(() => 'online', () => 'offline')") == "offline"
    # Online, the server answers 404 here; only the worker's cached shell can show the app.
    page.goto("/no/such/page")
    app_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.context.set_offline(False)


def test_my_badge_opens_offline_though_its_screen_was_never_opened(pages: Pages) -> None:
    page = open_app(pages.new(ATTENDEE, language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    wait_until(lambda: page.evaluate(BADGE_KEPT) is True, 15)

    page.context.set_offline(True)
    page.get_by_role("link", name="My badge").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".qr-box svg")).to_be_visible()
    expect(page.locator(".badge-code")).not_to_be_empty()
    page.context.set_offline(False)


def test_chromium_judges_the_app_installable(pages: Pages, tmp_path: Path) -> None:
    # A persistent profile: an incognito context is never installable.
    context = POOL.start().chromium.launch_persistent_context(
        user_data_dir=str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        base_url=pages.server.url,
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        watch(page, pages.problems)
        open_app(page, "/")
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest.get("errors") == [], manifest.get("errors")
        result = cdp.send("Page.getInstallabilityErrors")
        assert result["installabilityErrors"] == []
    finally:
        context.close()


def test_a_new_version_waits_until_the_person_chooses_to_reload(pages: Pages) -> None:
    page = open_app(pages.new(language="en", service_workers="allow"), "/")
    wait_for_service_worker(page)
    first = page.evaluate(ACTIVE_VERSION)

    # A deploy: the server's sw.js now carries another version.
    script = pages.server.pwa_dir / "sw.js"
    original = script.read_text()
    assert f'const VERSION = "{first}";' in original
    script.write_text(original.replace(f'"{first}"', '"deployed-next"', 1))
    try:
        page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
        banner = page.locator("#update-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("A new version of Enlace is available.")
        assert page.evaluate(ACTIVE_VERSION) == first  # the running page keeps its worker

        with page.expect_event("load"):
            banner.get_by_role("button", name="Reload to update").click()
        app_ready(page)
        assert page.evaluate(ACTIVE_VERSION) == "deployed-next"
        # The reloaded page registers the same script again: nothing new installs or waits.
        assert page.evaluate(NOTHING_PENDING_AFTER_UPDATE) is True
        expect(banner).to_be_hidden()
    finally:
        script.write_text(original)
