"""Unsubscribing from follow-up digests with a link: no sign-in, the link itself is the proof.

The token is the account id and an HMAC of it with the secret key, so it needs no table and
works for every digest the person ever got; it unsubscribes and does nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import NotFound
from api.models import Account
from api.settings import Settings

# What the HMAC signs besides the id: a token made for another purpose never unsubscribes.
PURPOSE = b"digest-unsubscribe:"


def _mac(settings: Settings, account_id: int) -> str:
    digest = hmac.new(
        settings.secret_key.encode(), PURPOSE + str(account_id).encode(), hashlib.sha256
    ).digest()
    # 128 bits are plenty against guessing and keep the link short.
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def unsubscribe_token(settings: Settings, account_id: int) -> str:
    """The token of an account's unsubscribe links."""
    return f"{account_id}-{_mac(settings, account_id)}"


def account_id_for_token(settings: Settings, token: str) -> int | None:
    """The account a token was made for, or None when it was not made with this secret key."""
    raw_id, _, mac = token.partition("-")
    # ASCII only: "²".isdigit() is true but int() refuses it, and compare_digest refuses
    # non-ASCII text; a forged token is answered like an unknown one, never a 500.
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
        return None
    if not mac or not mac.isascii():
        return None
    account_id = int(raw_id)
    return account_id if hmac.compare_digest(mac, _mac(settings, account_id)) else None


def unsubscribe_page_url(settings: Settings, account_id: int) -> str:
    return f"{settings.base_url}/unsubscribe/{unsubscribe_token(settings, account_id)}"


def one_click_url(settings: Settings, account_id: int) -> str:
    return f"{settings.base_url}/api/unsubscribe/{unsubscribe_token(settings, account_id)}"


def unsubscribe_headers(settings: Settings, account_id: int) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail apps offer an unsubscribe button that POSTs here."""
    return {
        "List-Unsubscribe": f"<{one_click_url(settings, account_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _not_found() -> NotFound:
    return NotFound(
        "This unsubscribe link is not complete; copy the whole link from the e-mail.",
        code="unknown_unsubscribe_link",
    )


async def digest_opted_out(session: AsyncSession, settings: Settings, token: str) -> bool:
    """Whether the token's account already unsubscribed; NotFound for a token we never made."""
    account_id = account_id_for_token(settings, token)
    account = await session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise _not_found()
    return account.digest_opt_out_at is not None


async def unsubscribe_from_digests(
    session: AsyncSession, settings: Settings, token: str, now: datetime
) -> None:
    """Stop digests for the token's account; unsubscribing twice keeps the first time."""
    account_id = account_id_for_token(settings, token)
    if account_id is None:
        raise _not_found()
    result = await session.execute(
        update(Account)
        .where(Account.id == account_id, Account.digest_opt_out_at.is_(None))
        .values(digest_opt_out_at=now)
    )
    if not result.rowcount and await session.get(Account, account_id) is None:  # type: ignore[attr-defined]
        raise _not_found()
