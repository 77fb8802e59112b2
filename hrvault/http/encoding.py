"""Refuse request bodies in an encoding this service does not read, before anything does.

Bodies are read as they arrive: UTF-8, not compressed. A ``Content-Encoding`` other than
``identity`` would otherwise be parsed as if it were plain (a gzip body is not JSON), and
decoding it here would let a few kilobytes expand past the body limit. A ``charset``
other than UTF-8 would be misread. Both are ``415 UNSUPPORTED_MEDIA_TYPE``; the answer to
a coding names the one accepted (``Accept-Encoding: identity``, RFC 9110 section 15.5.16).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from hrvault.errors import ErrorCode
from hrvault.http.refusals import refusal_response

ACCEPTED_CHARSETS = frozenset({"utf-8", "utf8"})


def _unsupported_coding(headers: Headers) -> bool:
    codings = {
        coding.strip().lower()
        for value in headers.getlist("content-encoding")
        for coding in value.split(",")
    }
    return bool(codings - {"identity", ""})


def _unsupported_charset(headers: Headers) -> str | None:
    _, params = parse_content_type(headers.get("content-type", ""))
    charset = params.get("charset")
    if charset is None or charset.strip().strip('"').lower() in ACCEPTED_CHARSETS:
        return None
    return charset


class RequestEncodingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _unsupported_coding(headers):
            refusal = refusal_response(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "compressed request bodies are not accepted; send the body as it is",
                headers={"accept-encoding": "identity"},
            )
            await refusal(scope, receive, send)
            return
        if _unsupported_charset(headers) is not None:
            refusal = refusal_response(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "request bodies are read as UTF-8 only; send UTF-8 or no charset",
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
