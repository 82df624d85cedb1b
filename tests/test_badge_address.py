"""The print screen warns before badges are printed with QR codes phones cannot open."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.badges.address import address_problem
from api.settings import Settings
from tests.conftest import sign_in
from tests.test_connections import EVENT, LUCIA, ORGANIZER, event_with_people


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("http://127.0.0.1:8000", "loopback"),
        ("HTTP://LOCALHOST:8000", "loopback"),
        ("http://[::1]:8000", "loopback"),
        ("https://app.localhost", "loopback"),
        ("http://192.168.1.20:8000", "private"),
        ("https://10.0.0.5", "private"),
        ("http://169.254.3.4", "private"),
        ("https://enlace.local", "private"),
        ("http://laptop:8000", "private"),
        ("http://enlace.example.org", "not_https"),
        ("https://enlace.example.org", None),
        ("https://93.184.216.34", None),
    ],
)
def test_each_address_is_judged_for_phones(base_url: str, problem: str | None) -> None:
    assert address_problem(base_url) == problem


@pytest.mark.anyio
async def test_organizers_are_told_what_the_qr_codes_point_at(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await event_with_people(settings)
    await sign_in(client, settings, ORGANIZER)
    found = (await client.get(f"/api/events/{EVENT}/badges/address")).json()
    assert found == {"base_url": settings.base_url, "problem": address_problem(settings.base_url)}
    assert found["problem"] is not None  # the tests serve on a local address
    await client.post("/api/auth/signout")
    await sign_in(client, settings, LUCIA)
    refused = await client.get(f"/api/events/{EVENT}/badges/address")
    assert refused.json()["code"] == "event_not_found"
