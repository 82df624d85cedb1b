"""Sign-in mail goes through a real SMTP server when one is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from tests.conftest import add_account, arm_csrf

pytestmark = pytest.mark.anyio


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_the_sign_in_mail_is_delivered_by_smtp(
    settings: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    await add_account(settings, "ana@example.org", language="en")
    async with AsyncTestClient(app=create_app(settings)) as client:
        await arm_csrf(client)
        response = await client.post("/api/auth/request", json={"email": "ana@example.org"})
    assert response.status_code == 202
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "ana@example.org"
    assert message["Subject"].startswith("Your Enlace sign-in code")
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "http://testserver.local/signin#t=" in body.decode()
    assert not settings.outbox_dir.exists()
