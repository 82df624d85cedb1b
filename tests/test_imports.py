"""Organizers import attendees from ticketing exports: preview, apply, re-import, bad files."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.settings import Settings
from tests.conftest import add_account, sign_in
from tests.test_events import event_payload

pytestmark = pytest.mark.anyio
ORGANIZER = "org@example.org"

EVENTBRITE = (
    "Order #,First Name,Last Name,Email,Company,Job Title,Ticket Type\n"
    "1001,Ana,Pérez,ana@example.org,DataLab,Engineer,General\n"
    "1002,小明,王,xiaoming@example.org,Tsinghua,Researcher,Speaker\n"
    "1003,محمد,الأحمد,mohammed@example.org,,Student,General\n"
    "1004,Zoë,🚀 Smith,zoe@example.org,Acme,CTO,General\n"
)


async def organizer_with_event(client: AsyncTestClient[Any], settings: Settings) -> None:
    await add_account(settings, ORGANIZER, can_create_events=True)
    await sign_in(client, settings, ORGANIZER)
    assert (await client.post("/api/events", json=event_payload())).status_code == 201


async def act_as(client: AsyncTestClient[Any], settings: Settings, email: str) -> None:
    """Sign out and sign in again as `email`."""
    await client.post("/api/auth/signout")
    await sign_in(client, settings, email)


async def upload(
    client: AsyncTestClient[Any], content: bytes, name: str = "export.csv", **form: str
) -> Any:
    return await client.post(
        "/api/events/madrid-2026/imports",
        files={"file": (name, content, "text/csv")},
        data={"dry_run": "false"} | form,
    )


async def attendee_names(client: AsyncTestClient[Any]) -> list[str]:
    page = (await client.get("/api/events/madrid-2026/attendees?limit=500")).json()
    return sorted(item["name"] for item in page["items"])


async def test_a_dry_run_reports_without_saving(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    response = await upload(client, EVENTBRITE.encode(), dry_run="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["applied"], report["dry_run"]) == (4, False, True)
    assert {c["header"]: c["field"] for c in report["columns"]}["Company"] == "organization"
    assert report["preview"][0]["name"] == "Ana Pérez"
    assert await attendee_names(client) == []


async def test_an_import_creates_attendees_with_names_in_any_script(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    report = (await upload(client, EVENTBRITE.encode())).json()
    assert (report["created"], report["applied"]) == (4, True)
    assert await attendee_names(client) == sorted(
        ["Ana Pérez", "王小明", "محمد الأحمد", "Zoë 🚀 Smith"]
    )


async def test_reimport_updates_and_never_duplicates(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    await upload(client, EVENTBRITE.encode())
    changed = EVENTBRITE.replace("ana@example.org,DataLab", " ANA@Example.org ,DataLab Madrid")
    report = (await upload(client, changed.encode())).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 3)
    page = (await client.get("/api/events/madrid-2026/attendees?q=ana")).json()
    assert page["total"] == 1
    assert page["items"][0]["organization"] == "DataLab Madrid"


async def test_rows_with_errors_block_the_import_unless_valid_rows_are_chosen(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    bad = EVENTBRITE + "1005,Sin,Correo,,Acme,CTO,General\n"
    refused = await upload(client, bad.encode())
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "rows_invalid"
    assert [(e["row"], e["code"]) for e in body["report"]["errors"]] == [(6, "missing_email")]
    assert await attendee_names(client) == []
    accepted = (await upload(client, bad.encode(), skip_invalid="true")).json()
    assert (accepted["created"], accepted["invalid_rows"]) == (4, 1)


async def test_a_legacy_encoding_is_detected_or_chosen(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    content = "Email;Nombre;Empresa\njose@example.org;José Muñoz;Compañía\n".encode("cp1252")
    detected = (await upload(client, content, dry_run="true")).json()
    assert (detected["encoding"], detected["encoding_detected"]) == ("cp1252", True)
    assert detected["preview"][0]["name"] == "José Muñoz"
    ok = (await upload(client, content, encoding="cp1252")).json()
    assert ok["encoding_detected"] is False
    assert ok["created"] == 1 and ok["delimiter"] == ";"
    assert await attendee_names(client) == ["José Muñoz"]


async def test_a_missing_required_column_is_named(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    response = await upload(client, b"Name,Company\nAna,DataLab\n")
    assert response.status_code == 422
    assert response.json()["code"] == "missing_column"
    assert "mail" in response.json()["detail"].lower()


async def test_a_file_over_the_limit_gets_413(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    # Half as large again as the limit: the refusal names the file's real size.
    big = b"Email,Name\n" + b"x@example.org,Ana\n" * (settings.max_upload_bytes * 3 // 2 // 18)
    response = await upload(client, big)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    real, limit = len(big) / 1e6, settings.max_upload_bytes / 1e6
    assert f"The file is {real:.1f} MB; the limit is {limit:.0f} MB" in response.json()["detail"]
    assert (response.json()["size_mb"], response.json()["limit_mb"]) == (
        round(real, 1),
        round(limit),
    )


async def test_a_formula_cell_is_kept_as_text_with_a_warning(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    content = b'Email,Name,Company\nana@example.org,Ana,"=HYPERLINK(""http://x"")"\n'
    report = (await upload(client, content)).json()
    assert [w["code"] for w in report["warnings"]] == ["formula_like"]
    page = (await client.get("/api/events/madrid-2026/attendees")).json()
    assert page["items"][0]["organization"] == '=HYPERLINK("http://x")'


async def test_reimport_keeps_what_the_attendee_edited(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    first = b"Email,Name,Interests\nana@example.org,Ana,Open data\n"
    await upload(client, first)
    await add_account(settings, "ana@example.org")
    await act_as(client, settings, "ana@example.org")
    await client.patch("/api/events/madrid-2026/me", json={"interests": ["Design"]})
    await act_as(client, settings, ORGANIZER)
    await upload(client, "Email,Name,Interests\nana@example.org,Ana Pérez,Open data\n".encode())
    await act_as(client, settings, "ana@example.org")
    profile = (await client.get("/api/events/madrid-2026/me")).json()
    assert (profile["name"], profile["interests"]) == ("Ana Pérez", ["Design"])


async def test_only_organizers_can_import(client: AsyncTestClient[Any], settings: Settings) -> None:
    await organizer_with_event(client, settings)
    await client.post("/api/events/madrid-2026/staff", json={"email": "door@example.org"})
    await act_as(client, settings, "door@example.org")
    assert (await upload(client, EVENTBRITE.encode())).status_code == 404


async def test_an_xlsx_export_imports_like_a_csv(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    await organizer_with_event(client, settings)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Attendee name", "Attendee e-mail", "Company", "Phone"])
    sheet.append(["Mei Chen", "mei@example.org", "Tsinghua", 34600111222])
    buffer = BytesIO()
    workbook.save(buffer)
    response = await client.post(
        "/api/events/madrid-2026/imports",
        files={"file": ("pretix.xlsx", buffer.getvalue(), "application/octet-stream")},
        data={"dry_run": "false"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["format"], report["created"]) == ("xlsx", 1)
    assert report["preview"][0]["phone"] == "34600111222"
    assert await attendee_names(client) == ["Mei Chen"]


async def test_a_malformed_mapping_is_a_clear_error(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    response = await upload(client, EVENTBRITE.encode(), mapping="{")
    assert response.status_code == 422
    assert response.json()["field"] == "mapping"


async def test_a_column_not_recognized_comes_back_with_the_columns_to_choose_from(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    data = "Contacto,Nombre\nana@example.org,Ana Pérez\n".encode()
    refused = await upload(client, data, dry_run="true")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "missing_column"
    assert body["missing"] == ["email"]
    assert body["columns"] == [
        {"header": "Contacto", "field": None},
        {"header": "Nombre", "field": "name"},
    ]
    chosen = await upload(client, data, dry_run="true", mapping='{"Contacto": "email"}')
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["valid_rows"] == 1


async def test_search_treats_percent_as_a_character(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    await upload(client, EVENTBRITE.encode())
    assert (await client.get("/api/events/madrid-2026/attendees?q=%25")).json()["total"] == 0
    assert (await client.get("/api/events/madrid-2026/attendees?q=zoe")).json()["total"] == 1
    huge = await client.get("/api/events/madrid-2026/attendees?offset=9223372036854775808")
    assert huge.status_code == 400


async def test_changing_only_sharing_does_not_freeze_imported_fields(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await organizer_with_event(client, settings)
    await upload(client, b"Email,Name,Phone\nana@example.org,Ana,\n")
    await add_account(settings, "ana@example.org")
    await act_as(client, settings, "ana@example.org")
    await client.patch("/api/events/madrid-2026/me", json={"shared_fields": ["email"]})
    await act_as(client, settings, ORGANIZER)
    await upload(client, b"Email,Name,Phone\nana@example.org,Ana,+34 600 111 222\n")
    await act_as(client, settings, "ana@example.org")
    profile = (await client.get("/api/events/madrid-2026/me")).json()
    assert profile["phone"] == "+34 600 111 222"
