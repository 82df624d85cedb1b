"""An organizer creates and edits an event, and imports attendees from a ticketing export."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from tests.browser.harness import (
    ORGANIZER,
    Pages,
    app_ready,
    describe_violations,
    open_app,
    run_axe,
)
from tests.browser.screens import (
    EVENTBRITE_CSV,
    LEGACY_CSV,
    api_get,
    check_file,
    choose_file,
    create_event,
    unique_slug,
)


def row(page: Page, legend: str) -> Page:
    return page.locator("fieldset", has=page.locator("legend", has_text=legend))  # type: ignore[return-value]


def test_organizer_creates_an_event_with_a_session_and_vocabulary(pages: Pages) -> None:
    slug = unique_slug("expo")
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    page.get_by_role("link", name="Create an event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an event")
    page.get_by_label("Short name for addresses").fill(slug)
    page.get_by_label("Event name").fill("Expo Datos 2026")
    page.get_by_label("First day").fill("2026-10-05")
    page.get_by_label("Last day").fill("2026-10-06")
    page.get_by_label("Time zone").fill("America/Mexico_City")
    page.get_by_role("button", name="Add a session").click()
    session = row(page, "Session 1")
    session.get_by_label("Title").fill("Keynote")
    session.get_by_label("Room").fill("Sala A")
    session.get_by_label("Starts").fill("2026-10-05T10:00")
    session.get_by_label("Ends").fill("2026-10-05T11:30")
    session.get_by_label("Only registered people").check()
    page.get_by_role("button", name="Add an interest").click()
    interest = row(page, "Interest 1")
    interest.get_by_label("Name in English").fill("Machine learning")
    interest.get_by_label("Name in Spanish").fill("Aprendizaje automático")
    interest.get_by_label("Other names").fill("ML, aprendizaje de máquinas")
    page.get_by_role("button", name="Create event").click()

    expect(page).to_have_url(re.compile(rf"/organize/{slug}/edit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Expo Datos 2026")
    expect(page.get_by_text("Registered attendees: 0")).to_be_visible()
    expect(row(page, "Session 1").get_by_label("Starts")).to_have_value("2026-10-05T10:00")
    expect(row(page, "Interest 1").get_by_label("Other names")).to_have_value(
        "ML, aprendizaje de máquinas"
    )
    event = api_get(page, f"/api/events/{slug}")
    starts = datetime.fromisoformat(event["sessions"][0]["starts_at"]).astimezone(UTC)
    assert starts == datetime(2026, 10, 5, 16, 0, tzinfo=UTC)  # 10:00 in Mexico City
    assert event["interests"][0]["aliases"] == ["ML", "aprendizaje de máquinas"]
    assert event["sessions"][0]["restricted"] is True


def test_organizer_edits_an_event_and_keeps_its_sessions(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    event = create_event(
        page,
        sessions=[
            {
                "title": "Opening",
                "starts_at": "2026-10-05T09:00:00",
                "ends_at": "2026-10-05T10:00:00",
            }
        ],
    )
    session_id = event["sessions"][0]["id"]
    open_app(page, f"/organize/{event['slug']}/edit")
    page.get_by_label("Event name").fill("Expo Renamed")
    row(page, "Session 1").get_by_label("Ends").fill("2026-10-05T10:45")
    page.get_by_role("button", name="Add an interest").click()
    interest = row(page, "Interest 1")
    interest.get_by_label("Name in English").fill("Open data")
    interest.get_by_label("Name in Spanish").fill("Datos abiertos")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".message-success")).to_have_text("Changes saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Expo Renamed")

    page.reload()
    app_ready(page)
    expect(page.get_by_label("Event name")).to_have_value("Expo Renamed")
    expect(row(page, "Session 1").get_by_label("Ends")).to_have_value("2026-10-05T10:45")
    expect(row(page, "Interest 1").get_by_label("Name in Spanish")).to_have_value("Datos abiertos")
    saved = api_get(page, f"/api/events/{event['slug']}")
    assert [s["id"] for s in saved["sessions"]] == [session_id]


def test_a_taken_short_name_is_explained_next_to_the_field(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/organize/new")
    slug = page.get_by_label("Nombre corto para las direcciones")
    slug.fill("demo")
    page.get_by_label("Nombre del evento").fill("Otra demo")
    page.get_by_label("Primer día").fill("2026-10-05")
    page.get_by_label("Último día").fill("2026-10-05")
    page.get_by_role("button", name="Crear el evento").click()
    expect(slug).to_have_attribute("aria-invalid", "true")
    expect(slug).to_be_focused()
    expect(page.locator(".field-error")).to_have_text(re.compile("ya está en uso"))


def test_a_time_skipped_by_the_clock_change_is_explained_in_spanish(pages: Pages) -> None:
    # 2027-03-28 02:30 does not exist in Madrid: the clocks go from 02:00 to 03:00.
    page = open_app(pages.new(ORGANIZER, language="es"), "/")
    event = create_event(page, starts_on="2027-03-27", ends_on="2027-03-28")
    open_app(page, f"/organize/{event['slug']}/edit")
    page.get_by_role("button", name="Añadir una sesión").click()
    session = row(page, "Sesión 1")
    session.get_by_label("Título").fill("Madrugada")
    session.get_by_label("Empieza").fill("2027-03-28T02:30")
    session.get_by_label("Termina").fill("2027-03-28T04:00")
    page.get_by_role("button", name="Guardar cambios").click()
    starts = session.get_by_label("Empieza")
    expect(starts).to_have_attribute("aria-invalid", "true")
    error = session.locator(".field-error")
    expect(error).to_contain_text("Esa hora no existe en la zona horaria del evento")
    expect(error).not_to_contain_text("does not exist")
    assert api_get(page, f"/api/events/{event['slug']}")["sessions"] == []


def test_a_vocabulary_alias_used_twice_is_shown_on_its_row(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    event = create_event(page)
    open_app(page, f"/organize/{event['slug']}/edit")
    for n, (en, es) in enumerate([("Design", "Diseño"), ("UX design", "Diseño")], start=1):
        page.get_by_role("button", name="Add an interest").click()
        row(page, f"Interest {n}").get_by_label("Name in English").fill(en)
        row(page, f"Interest {n}").get_by_label("Name in Spanish").fill(es)
    page.get_by_role("button", name="Save changes").click()
    second = row(page, "Interest 2").get_by_label("Name in English")
    expect(second).to_have_attribute("aria-invalid", "true")
    expect(row(page, "Interest 2").locator(".field-error")).to_contain_text("already used")


def test_organizer_checks_a_csv_then_imports_the_valid_rows(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="en"), "/")
    event = create_event(page)
    open_app(page, f"/organize/{event['slug']}")
    page.get_by_role("link", name="Import attendees").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import attendees")
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()
    choose_file(page, "eventbrite.csv", EVENTBRITE_CSV)
    check_file(page)

    columns = page.get_by_role("table", name="How each column is read")
    expect(columns.get_by_role("row", name=re.compile("Company.*Organization"))).to_be_visible()
    expect(columns.get_by_role("row", name=re.compile("Email.*E-mail"))).to_be_visible()
    errors = page.get_by_role("table", name=re.compile("Problems to fix"))
    expect(
        errors.get_by_role("row", name=re.compile(r"^6\b.*e-mail address is missing"))
    ).to_be_visible()
    preview = page.get_by_role("table", name=re.compile("as they will be saved"))
    expect(
        preview.get_by_role("row", name=re.compile("ana@example.org.*Ana Pérez"))
    ).to_be_visible()
    expect(page.locator(".count", has_text="New attendees to add")).to_contain_text("4")
    expect(page.locator(".count", has_text="Rows with errors")).to_contain_text("1")

    import_button.click()
    expect(page.locator(".message-error")).to_contain_text("nothing was imported")
    assert api_get(page, f"/api/events/{event['slug']}")["attendee_count"] == 0
    # The answer asks for the box below: it has the focus and the sticky bar does not cover it.
    skip = page.get_by_label("Import the valid rows and skip the rest")
    expect(skip).to_be_focused()
    box, bar = skip.bounding_box(), page.locator(".sticky-actions").bounding_box()
    assert box and bar and box["y"] + box["height"] <= bar["y"], (box, bar)
    skip.check()
    import_button.click()
    expect(page.locator(".message-success")).to_contain_text("4 added")
    expect(page.get_by_text("Registered attendees: 4")).to_be_visible()
    expect(page.locator(".count", has_text="Attendees added")).to_contain_text("4")
    assert api_get(page, f"/api/events/{event['slug']}")["attendee_count"] == 4


def test_a_windows_1252_file_is_read_as_such_and_says_so(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/")
    event = create_event(page)
    open_app(page, f"/organize/{event['slug']}/import")
    choose_file(page, "excel-antiguo.csv", LEGACY_CSV)
    check_file(page)
    expect(page.get_by_role("note")).to_contain_text("se ha leído como cp1252")
    preview = page.get_by_role("table", name=re.compile("tal como se guardarán"))
    expect(preview).to_contain_text("José Muñoz")
    expect(page.locator(".message-error")).to_be_hidden()


def test_a_column_not_recognized_is_chosen_on_the_screen_in_spanish(pages: Pages) -> None:
    page = open_app(pages.new(ORGANIZER, language="es"), "/")
    event = create_event(page)
    open_app(page, f"/organize/{event['slug']}/import")
    rows = [
        "Dirección de contacto,Nombre,Intereses",
        "lucia@example.org,Lucía Pérez,Datos abiertos; Diseño",
        "omar@example.org,Omar Haddad,Salud",
    ]
    choose_file(page, "lista.csv", "\n".join(rows).encode())
    check_file(page)
    expect(page.locator(".message-error")).to_contain_text("Qué contiene cada columna")
    chooser = page.get_by_role("group", name="Qué contiene cada columna")
    column = chooser.get_by_label("Columna «Dirección de contacto»")
    expect(column).to_be_focused()  # the column still to choose
    expect(column).to_have_value("")
    expect(chooser.get_by_label("Columna «Nombre»")).to_have_value("name")
    violations = run_axe(page)
    assert not violations, describe_violations(violations)
    column.select_option("email")
    # A field taken by another column is let go by the first, which says so.
    name_column = chooser.get_by_label("Columna «Nombre»")
    name_column.select_option("email")
    expect(column).to_have_value("")
    expect(chooser).to_contain_text("«Dirección de contacto» ya no rellena Correo electrónico")
    name_column.select_option("name")
    column.select_option("email")
    check_file(page)
    expect(page.locator(".count", has_text="Asistentes nuevos")).to_contain_text("2")
    # The interests as they were split, one per line.
    preview = page.get_by_role("table", name=re.compile("tal como se guardarán"))
    expect(preview.locator(".preview-items li")).to_have_text(["Datos abiertos", "Diseño", "Salud"])
    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator(".message-success")).to_contain_text("2")
    assert api_get(page, f"/api/events/{event['slug']}")["attendee_count"] == 2
