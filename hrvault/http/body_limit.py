"""Refuse request bodies over the limit before anything parses them.

GraphQL multipart requests (document uploads) to ``/graphql`` get a higher ceiling: the
most any tenant may allow. The GraphQL view then holds each upload to its own tenant's
limit, from the declared length before reading and byte by byte while reading.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrvault.errors import ErrorCode
from hrvault.http.refusals import refusal_response

UPLOAD_PATH = "/graphql"


class _BodyTooLarge(Exception):
    """Raised from inside ``receive`` to stop the app reading a body over the limit."""


def is_upload(scope: Scope, headers: Headers) -> bool:
    """A GraphQL multipart request: the one kind of request that carries a document."""
    return (
        scope["method"] == "POST"
        and scope["path"] == UPLOAD_PATH
        and headers.get("content-type", "").lower().startswith("multipart/form-data")
    )


def _too_large(limit: int) -> JSONResponse:
    return refusal_response(413, ErrorCode.PAYLOAD_TOO_LARGE, f"request body exceeds {limit} bytes")


class BodySizeLimitMiddleware:
    """Checks ``Content-Length`` up front and counts streamed chunks for the rest."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_max_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = max(upload_max_bytes, max_bytes)

    def _limit(self, scope: Scope, headers: Headers) -> int:
        return self.upload_max_bytes if is_upload(scope, headers) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self._limit(scope, headers)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(limit)(scope, receive, send)
