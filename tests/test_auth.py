"""Sign-in by one-time link or code, sessions, and the rules that keep them safe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.auth.service import issue_signin_link
from api.models import Account, SigninToken, utcnow
from api.settings import Settings
from tests.conftest import add_account, link_token, mail_code, outbox_messages, run_in_db, sign_in

pytestmark = pytest.mark.anyio
EMAIL = "ana@example.org"


async def test_a_registered_person_signs_in_with_the_emailed_link(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL, language="en")
    assert (await client.get("/api/me")).status_code == 401
    await sign_in(client, settings, EMAIL)
    me = (await client.get("/api/me")).json()
    assert me["email"] == EMAIL
    assert me["language"] == "en"


async def test_the_link_works_only_once(client: AsyncTestClient[Any], settings: Settings) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    token = link_token(outbox_messages(settings, EMAIL)[-1])
    assert (await client.post("/api/auth/verify-link", json={"token": token})).status_code == 200
    again = await client.post("/api/auth/verify-link", json={"token": token})
    assert again.status_code == 422
    assert again.json()["code"] == "invalid_link"


@pytest.mark.parametrize("cut", [0, 1, 12, 30])
async def test_a_link_cut_short_is_answered_as_a_link_that_no_longer_works(
    client: AsyncTestClient[Any], settings: Settings, cut: int
) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    token = link_token(outbox_messages(settings, EMAIL)[-1])
    response = await client.post("/api/auth/verify-link", json={"token": token[:cut]})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_link"
    # The whole link still works: a cut copy used up nothing.
    assert (await client.post("/api/auth/verify-link", json={"token": token})).status_code == 200


async def test_opening_the_link_with_get_does_not_use_it_up(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    token = link_token(outbox_messages(settings, EMAIL)[-1])
    page = await client.get("/signin")  # what a mail scanner fetches; the token is in the fragment
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert (await client.post("/api/auth/verify-link", json={"token": token})).status_code == 200


async def test_an_expired_link_is_refused(client: AsyncTestClient[Any], settings: Settings) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    token = link_token(outbox_messages(settings, EMAIL)[-1])

    async def expire(session: Any) -> None:
        await session.execute(
            update(SigninToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    await run_in_db(settings, expire)
    response = await client.post("/api/auth/verify-link", json={"token": token})
    assert response.json()["code"] == "invalid_link"


async def test_the_typed_code_signs_in(client: AsyncTestClient[Any], settings: Settings) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    code = mail_code(outbox_messages(settings, EMAIL)[-1])
    response = await client.post(
        "/api/auth/verify-code", json={"email": " Ana@Example.org ", "code": code}
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/api/me")).json()["email"] == EMAIL


async def test_wrong_codes_lock_the_code_after_five_tries(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    code = mail_code(outbox_messages(settings, EMAIL)[-1])
    wrong = "0000 0000" if code != "0000 0000" else "1111 1111"
    for _ in range(settings.signin_code_attempts):
        response = await client.post("/api/auth/verify-code", json={"email": EMAIL, "code": wrong})
        assert response.json()["code"] == "invalid_code"
    late = await client.post("/api/auth/verify-code", json={"email": EMAIL, "code": code})
    assert late.status_code == 422


async def test_unknown_addresses_get_the_same_answer_and_no_mail(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    response = await client.post("/api/auth/request", json={"email": "nobody@example.org"})
    assert response.status_code == 202
    assert response.json() == {"code": "sent"}
    assert outbox_messages(settings, "nobody@example.org") == []


async def test_sign_in_requests_are_rate_limited_per_address(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)

    async def digest_links(session: Any) -> None:
        # Week-long links sent in follow-up digests are not requests: they use up no quota.
        account_id = await session.scalar(select(Account.id).where(Account.email == EMAIL))
        for _ in range(settings.signin_max_per_window):
            await issue_signin_link(
                session, settings, account_id, "/", valid_for=timedelta(days=7), now=utcnow()
            )

    await run_in_db(settings, digest_links)
    for _ in range(settings.signin_max_per_window):
        assert (await client.post("/api/auth/request", json={"email": EMAIL})).status_code == 202
    over = await client.post("/api/auth/request", json={"email": EMAIL})
    # The same answer as for an unknown address (no oracle), and no further mail.
    assert (over.status_code, over.json()) == (202, {"code": "sent"})
    assert len(outbox_messages(settings, EMAIL)) == settings.signin_max_per_window
    other = "luis@example.org"
    await add_account(settings, other)
    assert (await client.post("/api/auth/request", json={"email": other})).status_code == 202


async def test_tokens_are_stored_only_as_hashes(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    message = outbox_messages(settings, EMAIL)[-1]
    token, code = link_token(message), mail_code(message).replace(" ", "")
    assert len(token) >= 43  # 32 random bytes, base64url

    async def stored(session: Any) -> list[tuple[str, str]]:
        return [
            tuple(r)
            for r in await session.execute(select(SigninToken.token_hash, SigninToken.code_hash))
        ]

    for token_hash, code_hash in await run_in_db(settings, stored):
        assert token not in token_hash and code not in code_hash


async def test_the_mail_is_in_the_account_language(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL, language="es")
    await client.post("/api/auth/request", json={"email": EMAIL})
    assert "Tu código para entrar" in outbox_messages(settings, EMAIL)[-1]


async def test_signing_out_ends_the_session(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)
    await sign_in(client, settings, EMAIL)
    assert (await client.post("/api/auth/signout")).status_code == 204
    assert (await client.get("/api/me")).status_code == 401


async def test_a_post_without_the_csrf_header_is_refused(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    del client.headers["x-csrftoken"]
    response = await client.post("/api/auth/request", json={"email": EMAIL})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


async def test_the_session_cookie_is_httponly_and_samesite(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    await add_account(settings, EMAIL)
    await client.post("/api/auth/request", json={"email": EMAIL})
    token = link_token(outbox_messages(settings, EMAIL)[-1])
    response = await client.post("/api/auth/verify-link", json={"token": token})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain-HTTP local development; https base URLs add it


async def test_a_malformed_email_names_the_field(
    client: AsyncTestClient[Any], settings: Settings
) -> None:
    response = await client.post("/api/auth/request", json={"email": "not-an-address"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_email" and body["field"] == "email"


@pytest.mark.parametrize(
    "next_path", ["//evil.example", "/\t/evil.example", "/\\evil", "https://x"]
)
async def test_a_next_path_must_stay_on_this_site(
    client: AsyncTestClient[Any], settings: Settings, next_path: str
) -> None:
    response = await client.post("/api/auth/request", json={"email": EMAIL, "next": next_path})
    assert response.status_code == 400
    assert response.json()["field"] == "next"
