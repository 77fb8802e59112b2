"""CORS for an explicit list of frontend origins, and for nobody else.

Starlette's CORSMiddleware adds ``Access-Control-Allow-Credentials`` to every response
that carries an ``Origin`` header, listed or not; harmless without a matching
``Access-Control-Allow-Origin``, but this API says nothing at all to an origin it does
not know. An allowed origin is echoed exactly (never ``*``), with credentials.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = frozenset({"GET", "POST"})
ALLOWED_HEADERS = frozenset(
    # The last two mark a multipart upload as not cross-site (hrvault.schema.uploads).
    {
        "authorization",
        "content-type",
        "x-request-id",
        "x-requested-with",
        "apollo-require-preflight",
    }
)
EXPOSED_HEADERS = "retry-after, x-request-id"
PREFLIGHT_MAX_AGE = "600"


class CORSAllowListMiddleware:
    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]) -> None:
        if "*" in origins:
            raise ValueError("credentials are never offered to every origin")
        self.app = app
        self.origins = frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, headers)(scope, receive, send)
            return
        allowed = origin in self.origins

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allowed:
                    response_headers["access-control-allow-origin"] = origin
                    response_headers["access-control-allow-credentials"] = "true"
                    response_headers["access-control-expose-headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str, headers: Headers) -> PlainTextResponse:
        method = headers["access-control-request-method"].upper()
        requested = {
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        }
        if (
            origin not in self.origins
            or method not in ALLOWED_METHODS
            or requested - ALLOWED_HEADERS
        ):
            return PlainTextResponse("CORS request refused", status_code=403)
        return PlainTextResponse(
            "OK",
            headers={
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": ", ".join(sorted(ALLOWED_METHODS)),
                "access-control-allow-headers": ", ".join(sorted(requested)),
                "access-control-max-age": PREFLIGHT_MAX_AGE,
                "vary": "Origin",
            },
        )
