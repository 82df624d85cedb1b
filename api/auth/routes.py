"""Sign-in routes: ask for a link, redeem it or the code, sign out."""

from __future__ import annotations

from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie, State
from litestar.params import JSONBody

from api.auth import service
from api.auth.schemas import (
    SignedIn,
    SigninCodeVerify,
    SigninLinkVerify,
    SigninRequest,
    SigninSent,
)
from api.dependencies import SESSION_COOKIE, AppSettings, CurrentAccount, DbSession, Sessionmaker
from api.mail import send_mail


def _signed_in(
    settings: AppSettings, account: CurrentAccount, next_path: str, cookie: str
) -> Response[SignedIn]:
    return Response(
        SignedIn(email=account.email, language=account.language, next=next_path),
        cookies=[
            Cookie(
                key=SESSION_COOKIE,
                value=cookie,
                max_age=settings.session_days * 86400,
                httponly=True,
                secure=settings.cookie_secure,
                samesite="lax",
                path="/",
            )
        ],
    )


class SigninController(Controller):
    path = "/api/auth"
    tags = ["sign-in"]

    @post("/request", status_code=202, summary="E-mail a one-time sign-in link and code")
    async def request_link(
        self, data: JSONBody[SigninRequest], db: DbSession, settings: AppSettings
    ) -> Response[SigninSent]:
        mail = await service.request_signin(db, settings, data.email, data.language, data.next)
        # Known and unknown addresses get the same answer; the mail goes after the commit.
        task = (
            BackgroundTask(send_mail, settings, mail.to, mail.subject, mail.body) if mail else None
        )
        return Response(SigninSent(), status_code=202, background=task)

    @post("/verify-link", status_code=200, summary="Redeem a sign-in link token")
    async def verify_link(
        self, data: JSONBody[SigninLinkVerify], db: DbSession, settings: AppSettings
    ) -> Response[SignedIn]:
        account, next_path = await service.redeem_link(db, data.token)
        cookie = await service.start_login_session(db, settings, account)
        return _signed_in(settings, account, next_path, cookie)

    @post("/verify-code", status_code=200, summary="Redeem the code typed from the e-mail")
    async def verify_code(
        self,
        data: JSONBody[SigninCodeVerify],
        db: DbSession,
        settings: AppSettings,
        sessionmaker: Sessionmaker,
    ) -> Response[SignedIn]:
        account, next_path = await service.redeem_code(
            sessionmaker, settings, data.email, data.code
        )
        cookie = await service.start_login_session(db, settings, account)
        return _signed_in(settings, account, next_path, cookie)

    @post("/signout", status_code=204, summary="End this browser's session")
    async def signout(
        self, request: Request[object, object, State], db: DbSession
    ) -> Response[None]:
        await service.end_login_session(db, request.cookies.get(SESSION_COOKIE))
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
