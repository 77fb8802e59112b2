"""The session cookie: HttpOnly, Secure, SameSite=Strict, never readable by scripts.

Over HTTPS its name carries the ``__Host-`` prefix. Browsers accept such a cookie only
from a secure origin, for exactly this host and path ``/``, so neither a sibling
subdomain nor an attacker on plain HTTP can plant a session cookie of their choosing;
a cookie without the prefix is then ignored. Plain HTTP (development on localhost) keeps
the bare name, since browsers refuse ``__Host-`` cookies there.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from hrvault.config import Secret

SESSION_COOKIE = "hrvault_session"
HOST_SESSION_COOKIE = "__Host-" + SESSION_COOKIE


def session_cookie_name(request: Request) -> str:
    """The scheme is the one the client used, also behind a trusted TLS proxy."""
    return HOST_SESSION_COOKIE if request.url.scheme == "https" else SESSION_COOKIE


def set_session_cookie(
    response: Response, request: Request, token: Secret, lifetime: timedelta
) -> None:
    response.set_cookie(
        session_cookie_name(request),
        token.reveal(),
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        session_cookie_name(request), path="/", secure=True, httponly=True, samesite="strict"
    )
