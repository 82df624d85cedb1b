"""An organizer adds, promotes and removes staff on their screen; staff find check-in at home."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.harness import (
    ORGANIZER,
    STAFF,
    Pages,
    describe_violations,
    open_app,
    run_axe,
)
from tests.browser.screens import api_get, create_event


def test_organizer_adds_promotes_and_removes_staff_and_staff_see_check_in(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    event = create_event(page, "Expo Staff")
    open_app(page, f"/organize/{event['slug']}/edit")
    page.get_by_role("link", name="Organizers and staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff of Expo Staff")
    # Both roles are explained where they are chosen.
    expect(page.get_by_text("online and offline")).to_be_visible()
    expect(page.get_by_text("Can do everything")).to_be_visible()

    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("E-mail address").fill("Puerta@Example.org")
    page.get_by_role("button", name="Add", exact=True).click()
    main = page.locator("#main")  # the live region repeats each message
    expect(main.get_by_text("puerta@example.org can now check people in.")).to_be_visible()
    door = page.locator("[data-staff='puerta@example.org']")
    expect(door.get_by_text("Check-in staff")).to_be_visible()
    # My own entry offers no way to lock myself out.
    expect(page.get_by_role("button", name=f"Remove: {ORGANIZER}")).to_have_count(0)

    page.get_by_role("button", name="Make organizer: puerta@example.org").click()
    expect(main.get_by_text("puerta@example.org is now an organizer.")).to_be_visible()
    page.get_by_role("button", name="Remove: puerta@example.org").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("no longer be able to manage this event")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    dialog.get_by_role("button", name="Remove").click()
    expect(main.get_by_text("puerta@example.org was removed.")).to_be_visible()
    expect(door).to_have_count(0)
    staff = api_get(page, f"/api/events/{event['slug']}/staff")
    assert [(s["email"], s["role"]) for s in staff] == [(ORGANIZER, "organizer")]

    home = open_app(pages.new(STAFF, language="es"), "/")
    expect(home.get_by_role("link", name="Acreditar")).to_have_attribute(
        "href", "/events/demo/checkin"
    )
