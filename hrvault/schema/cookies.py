"""The session cookie: HttpOnly, Secure, SameSite=Strict, never readable by scripts."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from hrvault.config import Secret

SESSION_COOKIE = "hrvault_session"


def set_session_cookie(response: Response, token: Secret, lifetime: timedelta) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token.reveal(),
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
