"""Test harness: every database test runs on SQLite and on PostgreSQL, through real HTTP calls."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db import create_engine, session_factory, transaction
from api.migrate import upgrade_database
from api.models import Account, Base
from api.settings import Settings, finalize

POSTGRES_ADMIN = os.environ.get("ENLACE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("ENLACE_REQUIRE_POSTGRES") == "1"


def run_coroutine(work: Coroutine[Any, Any, Any]) -> Any:
    """Run `work` on a fresh event loop in its own thread (Playwright may own this thread's)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(work)
        except BaseException as exc:  # handed back to the caller below
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


async def _postgres_reachable() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for the whole session, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        run_coroutine(_migrate(url, tmp_path_factory.mktemp("data")))
        yield url
        return
    problem = run_coroutine(_postgres_reachable())
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable at {POSTGRES_ADMIN}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN} ({problem})")
    name = f"enlace_test_{uuid.uuid4().hex[:10]}"
    run_coroutine(_admin(f'CREATE DATABASE "{name}"'))
    url = re.sub(r"/[^/]*$", f"/{name}", POSTGRES_ADMIN).replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )
    try:
        run_coroutine(_migrate(url, tmp_path_factory.mktemp("data")))
        yield url
    finally:
        run_coroutine(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same backend, not yet migrated."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"enlace_migrate_{uuid.uuid4().hex[:10]}"
    run_coroutine(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", database_url)
    finally:
        run_coroutine(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str, data_dir: Path) -> None:
    engine = create_engine(make_settings(url, data_dir))
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()


def make_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "data_dir": data_dir,
        "base_url": "http://testserver.local",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
    }
    return finalize(Settings(**(values | overrides)))


async def wipe(url: str, data_dir: Path) -> None:
    engine = create_engine(make_settings(url, data_dir))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    try:
        async with engine.begin() as connection:
            if url.startswith("postgresql"):
                await connection.execute(
                    text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                )
            else:
                for table in tables:
                    await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from metadata
    finally:
        await engine.dispose()


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test, on an emptied database."""
    await wipe(database_url, tmp_path)
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        await arm_csrf(test_client)
        yield test_client


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session committed at the end of the test's setup code that uses it."""
    engine = create_engine(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


async def arm_csrf(test_client: AsyncTestClient[Any]) -> None:
    """Fetch the CSRF cookie like the PWA does, and send it back as the header."""
    await test_client.get("/health")
    test_client.headers["x-csrftoken"] = test_client.cookies.get("csrftoken", "")


def read_outbox(outbox_dir: Path, to: str) -> list[str]:
    """Every mail written to the outbox for `to`, oldest first, decoded as a mail reader would."""
    key = to.replace("@", "_at_")
    messages = []
    for path in sorted(outbox_dir.glob(f"*-{key}.eml")):
        message = message_from_bytes(path.read_bytes(), policy=email_policy)
        assert isinstance(message, EmailMessage)
        # A message with an HTML alternative (a digest) is read by its text part.
        text = message.get_body(preferencelist=("plain",)) or message
        messages.append(f"Subject: {message['Subject']}\n\n{text.get_content()}")
    return messages


def outbox_messages(settings: Settings, to: str) -> list[str]:
    return read_outbox(settings.outbox_dir, to)


def link_token(message: str) -> str:
    found = re.search(r"/signin#t=([A-Za-z0-9_-]+)", message)
    assert found, message
    return found.group(1)


def mail_code(message: str) -> str:
    found = re.search(r"\b(\d{4} \d{4})\b", message)
    assert found, message
    return found.group(1)


async def add_account(settings: Settings, email: str, **values: Any) -> None:
    await run_in_db(settings, lambda session: _add(session, Account(email=email, **values)))


async def _add(session: AsyncSession, obj: Any) -> None:
    session.add(obj)


async def run_in_db(settings: Settings, work: Any) -> Any:
    engine = create_engine(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


async def sign_in(test_client: AsyncTestClient[Any], settings: Settings, email: str) -> None:
    """Sign in through the real flow: ask for a link, read the mail, redeem it."""
    response = await test_client.post("/api/auth/request", json={"email": email})
    assert response.status_code == 202, response.text
    token = link_token(outbox_messages(settings, email)[-1])
    response = await test_client.post("/api/auth/verify-link", json={"token": token})
    assert response.status_code == 200, response.text


async def add_event(settings: Settings, slug: str = "demo-event", **values: Any) -> int:
    """Create an event directly; answer its id."""
    from datetime import date

    from api.models import Event

    async def work(session: AsyncSession) -> int:
        event = Event(
            slug=slug,
            name=values.pop("name", "Evento de prueba"),
            starts_on=date(2026, 3, 10),
            ends_on=date(2026, 3, 11),
            timezone="Europe/Madrid",
            languages=["es", "en"],
            **values,
        )
        session.add(event)
        await session.flush()
        return event.id

    result: int = await run_in_db(settings, work)
    return result


async def add_attendee(settings: Settings, event_id: int, email: str, **values: Any) -> None:
    from api.models import Attendee

    values.setdefault("name", "Ana Pérez")
    await run_in_db(
        settings, lambda session: _add(session, Attendee(event_id=event_id, email=email, **values))
    )
