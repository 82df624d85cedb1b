"""In WebKit: opening someone's card by its typed code and by /B/TOKEN, saving it with a note."""

from __future__ import annotations

from tests.browser.harness import ATTENDEE
from tests.webkit.phone import Phone, someone_else, wait_until


def test_a_card_opens_from_the_typed_code(phone: Phone) -> None:
    person, badge = someone_else(phone.server, 0)
    phone.sign_in_as(ATTENDEE).open("/events/demo/scan")
    # This WebKit has no camera: the scanner says so and offers to type the code.
    phone.visible(".scan-problem")
    code = phone.css("input[name=badge-code]")
    code.send_keys(badge["code"].lower().replace("-", " "))  # as a person may type it
    phone.button("Open the card").click()
    wait_until(lambda: phone.path().lower().startswith(f"/b/{badge['token'].lower()}"))
    phone.ready()
    phone.shows("main h1", person["name"])
    assert phone.button("Save contact").is_displayed()


def test_a_card_opens_from_its_badge_address_and_is_saved_with_a_note_and_tags(
    phone: Phone,
) -> None:
    person, badge = someone_else(phone.server, 1)
    phone.sign_in_as(ATTENDEE).open(f"/B/{badge['token']}")
    phone.shows("main h1", person["name"])
    phone.button("Save contact").click()
    phone.shows("#main [role=status]", "Saved to your connections.")
    phone.fill("Private note", "Talk about the pilot")
    phone.tap(phone.css("input[type=checkbox][value=hiring]"))
    phone.fill("Other tags", "coffee")
    phone.button("Save note and tags").click()

    def saved() -> dict[str, object] | None:
        listed = phone.api("GET", "/api/events/demo/connections")
        mine = [c for c in listed if c["attendee"] == person["id"]]
        return mine[0] if len(mine) == 1 and mine[0]["note"] else None

    connection = wait_until(saved, what="the note synced")
    assert connection["note"] == "Talk about the pilot"
    assert connection["tags"] == ["hiring", "coffee"]
    phone.driver.refresh()
    phone.ready()
    assert phone.labelled("Private note").get_attribute("value") == "Talk about the pilot"
    assert phone.css("input[type=checkbox][value=hiring]").is_selected()
