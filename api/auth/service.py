"""Issue and redeem one-time sign-in tokens; create and resolve login sessions."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import msgspec
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import Invalid, NotSignedIn
from api.i18n import pick_language, translate
from api.models import Account, Attendee, LoginSession, SigninToken, utcnow
from api.settings import Settings

CODE_DIGITS = 8
log = logging.getLogger("enlace.auth")


class SigninMail(msgspec.Struct):
    to: str
    subject: str
    body: str
    link: str
    code: str


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_email(value: str) -> str:
    """Lower-cased, validated address, or Invalid naming the field."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(f"email: {exc}", code="invalid_email", field="email") from exc
    return checked.normalized.lower()


def _code_hash(settings: Settings, token_hash: str, code: str) -> str:
    message = f"{token_hash}:{code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


async def find_or_create_account(
    session: AsyncSession, email: str, language: str | None = None
) -> Account | None:
    """The account for `email`; created on first sign-in when the address is registered."""
    account = await session.scalar(select(Account).where(Account.email == email))
    if account is not None:
        return account
    attendee_language = await session.scalar(
        select(Attendee.language).where(Attendee.email == email).limit(1)
    )
    if attendee_language is None:
        return None
    account = Account(email=email, language=pick_language(attendee_language or language))
    session.add(account)
    await session.flush()
    return account


async def request_signin(
    session: AsyncSession,
    settings: Settings,
    email: str,
    language: str | None = None,
    next_path: str | None = None,
    *,
    limit_rate: bool = True,
) -> SigninMail | None:
    """Create a one-time link and code for a registered address; None for unknown ones."""
    account = await find_or_create_account(session, normalize_email(email), language)
    if account is None:
        return None
    now = utcnow()
    window_start = now - timedelta(seconds=settings.signin_window_seconds)
    recent = await session.scalar(
        select(func.count())
        .select_from(SigninToken)
        .where(
            SigninToken.account_id == account.id,
            SigninToken.created_at > window_start,
            # Requests only: a digest's week-long link is not one, and must not use them up.
            SigninToken.expires_at <= now + timedelta(seconds=settings.signin_ttl_seconds),
        )
    )
    if limit_rate and (recent or 0) >= settings.signin_max_per_window:
        # The same 202 as for any address: a 429 here would tell registered addresses apart.
        log.warning("sign-in requests over the limit for account %s; no mail sent", account.id)
        return None
    token = secrets.token_urlsafe(32)  # 256 bits
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    token_hash = hash_secret(token)
    session.add(
        SigninToken(
            account_id=account.id,
            token_hash=token_hash,
            code_hash=_code_hash(settings, token_hash, code),
            next_path=next_path or "/",
            expires_at=now + timedelta(seconds=settings.signin_ttl_seconds),
        )
    )
    language = pick_language(language or account.language)
    # The token travels in the fragment, which browsers never send to a server or a Referer.
    link = f"{settings.base_url}/signin#t={token}"
    shown_code = f"{code[:4]} {code[4:]}"
    minutes = settings.signin_ttl_seconds // 60
    return SigninMail(
        to=account.email,
        subject=translate(language, "signin.subject", code=shown_code),
        body=translate(language, "signin.body", link=link, code=shown_code, minutes=minutes),
        link=link,
        code=code,
    )


def make_signin_links(
    settings: Settings,
    wanted: Sequence[tuple[int, str]],
    *,
    valid_for: timedelta,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[str]]:
    """One-time sign-in links for (account id, next path) pairs, valid from `now` for
    `valid_for`, in the order asked, and the rows that make them work (`store_signin_links`).

    Made apart from storing so a caller can build mail with them outside its transaction.
    """
    rows, links = [], []
    for account_id, next_path in wanted:
        token = secrets.token_urlsafe(32)  # 256 bits
        token_hash = hash_secret(token)
        rows.append(
            {
                "account_id": account_id,
                "token_hash": token_hash,
                "code_hash": _code_hash(settings, token_hash, secrets.token_hex(16)),
                "next_path": next_path,
                "created_at": now,
                "expires_at": now + valid_for,
                "failed_attempts": 0,
            }
        )
        # After a used or expired link the sign-in page asks for a code and still goes on.
        links.append(f"{settings.base_url}/signin?next={quote(next_path, safe='')}#t={token}")
    return rows, links


async def store_signin_links(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows of links made by `make_signin_links`, in one statement."""
    if rows:
        await session.execute(insert(SigninToken), list(rows))


async def issue_signin_links(
    session: AsyncSession,
    settings: Settings,
    wanted: Sequence[tuple[int, str]],
    *,
    valid_for: timedelta,
    now: datetime,
) -> list[str]:
    """One-time sign-in links for (account id, next path) pairs, valid from `now` for
    `valid_for` (the digest's week), inserted in one statement; in the order asked.

    Redeemed like any e-mailed link (`redeem_link`); they carry no code, so an unknown random
    one is stored in the code's place and never shown.
    """
    rows, links = make_signin_links(settings, wanted, valid_for=valid_for, now=now)
    await store_signin_links(session, rows)
    return links


async def issue_signin_link(
    session: AsyncSession,
    settings: Settings,
    account_id: int,
    next_path: str,
    *,
    valid_for: timedelta,
    now: datetime,
) -> str:
    """One such link for one account."""
    [link] = await issue_signin_links(
        session, settings, [(account_id, next_path)], valid_for=valid_for, now=now
    )
    return link


async def _consume(session: AsyncSession, token_id: int) -> bool:
    # A conditional update, not read-then-write: two tabs redeeming one link cannot both win.
    result = await session.execute(
        update(SigninToken)
        .where(SigninToken.id == token_id, SigninToken.consumed_at.is_(None))
        .values(consumed_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def redeem_link(session: AsyncSession, token: str) -> tuple[Account, str]:
    """Consume a sign-in link token; answer the account and where to go next."""
    row = (
        await session.execute(
            select(SigninToken, Account)
            .join(Account, Account.id == SigninToken.account_id)
            .where(SigninToken.token_hash == hash_secret(token))
        )
    ).first()
    if row is None or row[0].expires_at <= utcnow() or not await _consume(session, row[0].id):
        raise Invalid(
            "This sign-in link is no longer valid (used, expired or mistyped). Ask for a new one.",
            code="invalid_link",
        )
    return row[1], row[0].next_path


async def redeem_code(
    factory: async_sessionmaker[AsyncSession], settings: Settings, email: str, code: str
) -> tuple[Account, str]:
    """Consume the typed code; failed attempts are counted in their own transaction."""
    email = normalize_email(email)
    digits = _clean_code(code)
    async with factory() as session, session.begin():
        tokens = (
            await session.execute(
                select(SigninToken, Account)
                .join(Account, Account.id == SigninToken.account_id)
                .where(
                    Account.email == email,
                    SigninToken.consumed_at.is_(None),
                    SigninToken.expires_at > utcnow(),
                    SigninToken.failed_attempts < settings.signin_code_attempts,
                )
            )
        ).all()
        for token, account in tokens:
            expected = _code_hash(settings, token.token_hash, digits)
            if hmac.compare_digest(expected, token.code_hash) and await _consume(session, token.id):
                return account, token.next_path
        if tokens:
            # Counted in SQL, not read-modify-write: parallel wrong guesses each count.
            await session.execute(
                update(SigninToken)
                .where(SigninToken.id.in_([token.id for token, _ in tokens]))
                .values(failed_attempts=SigninToken.failed_attempts + 1)
            )
    raise Invalid(
        "That code is not right or has expired. Check the latest e-mail or ask for a new code.",
        code="invalid_code",
        field="code",
    )


async def start_login_session(session: AsyncSession, settings: Settings, account: Account) -> str:
    """Create a login session and answer the cookie value."""
    value = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            account_id=account.id,
            token_hash=hash_secret(value),
            expires_at=utcnow() + timedelta(days=settings.session_days),
        )
    )
    if account.signed_in_at is None:
        account.signed_in_at = utcnow()
    return value


async def account_for_session(session: AsyncSession, cookie_value: str | None) -> Account:
    """The signed-in account for a session cookie, or NotSignedIn."""
    if cookie_value:
        account = await session.scalar(
            select(Account)
            .join(LoginSession, LoginSession.account_id == Account.id)
            .where(
                LoginSession.token_hash == hash_secret(cookie_value),
                LoginSession.expires_at > utcnow(),
            )
        )
        if account is not None:
            return account
    raise NotSignedIn("Sign in to continue.")


async def end_login_session(session: AsyncSession, cookie_value: str | None) -> None:
    if cookie_value:
        found = await session.scalar(
            select(LoginSession).where(LoginSession.token_hash == hash_secret(cookie_value))
        )
        if found is not None:
            await session.delete(found)
