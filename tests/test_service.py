"""The service's outer shell: health, schema, error shapes, security headers, the app shell."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.db import create_engine, session_factory, transaction
from api.settings import Settings
from tests.conftest import add_account, sign_in

pytestmark = pytest.mark.anyio


async def test_health_checks_the_database(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_openapi_schema_is_published(client: AsyncTestClient[Any]) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/auth/request" in schema["paths"]
    assert "/api/events/{slug}/imports" in schema["paths"]


async def test_security_headers_are_on_pages_and_api(client: AsyncTestClient[Any]) -> None:
    for path in ("/", "/api/me", "/signin"):
        headers = (await client.get(path)).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["permissions-policy"].startswith("camera=(self)")
        assert headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in headers


async def test_unknown_api_paths_answer_json_404(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_malformed_json_is_a_400_that_says_so(client: AsyncTestClient[Any]) -> None:
    response = await client.post(
        "/api/auth/request", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


async def test_a_wrong_type_names_the_field(client: AsyncTestClient[Any]) -> None:
    response = await client.post("/api/auth/request", json={"email": 42})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "email"
    assert "Expected `str`" in body["detail"]


async def test_an_oversized_json_body_is_refused_with_413(client: AsyncTestClient[Any]) -> None:
    response = await client.post(
        "/api/auth/request", json={"email": "a@example.org", "next": "/" + "x" * 2_000_000}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


async def test_unknown_hosts_are_refused(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings), base_url="http://evil.example") as other:
        response = await other.get("/health")
    assert response.status_code == 400


async def test_the_app_shell_is_served_for_app_paths(client: AsyncTestClient[Any]) -> None:
    for path in ("/", "/signin", "/organize/new", "/events/demo/profile"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "text/html" in response.headers["content-type"], path
        assert '<script type="module"' in response.text, path


async def test_the_qr_decoder_from_npm_is_served_for_the_app(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/vendor/jsQR.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "jsQR" in response.text[:400]
    assert (await client.get("/vendor/../package.json")).status_code == 404
    assert (await client.get("/vendor/nothing.js")).status_code == 404


async def test_reads_are_answered_while_another_request_holds_the_write_lock(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no database-wide write lock")
    await add_account(settings, "ana@example.org")
    await sign_in(client, settings, "ana@example.org")
    path = make_url(settings.database_url).database
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # as a long write (a group commit, an import) would
        # Without read-only transactions each of these waits for the lock (30 s busy timeout).
        health = await asyncio.wait_for(client.get("/health"), 10)
        me = await asyncio.wait_for(client.get("/api/me"), 10)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (health.status_code, me.json()["email"]) == (200, "ana@example.org")


async def test_a_read_request_cannot_write(settings: Settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the guard is SQLite's query_only")
    engine = create_engine(settings, read_only=True)  # the engine GET requests read through
    try:
        with pytest.raises(OperationalError, match="readonly"):
            async with transaction(session_factory(engine)) as session:
                await session.execute(text("DELETE FROM accounts"))
    finally:
        await engine.dispose()
