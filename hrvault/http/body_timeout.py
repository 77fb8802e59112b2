"""Cut off request bodies that arrive too slowly.

A client that trickles its body, or declares a longer ``Content-Length`` than it sends,
would otherwise keep its request waiting for the rest for as long as it likes. Every body
must have arrived ``HRVAULT_BODY_TIMEOUT_SECONDS`` after the request began; a document
upload has ``HRVAULT_UPLOAD_TIMEOUT_SECONDS`` on top, and the GraphQL view holds the file
itself to that (``hrvault.schema.uploads``). Too slow: 408 ``OPERATION_TIMED_OUT``.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrvault.errors import ErrorCode
from hrvault.http.body_limit import is_upload
from hrvault.http.refusals import RequestRefused, response_for


class BodyTimedOut(RequestRefused):
    """Raised from ``receive``: the GraphQL view answers it like any refusal, and the
    middleware does for any other endpoint."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            ErrorCode.OPERATION_TIMED_OUT,
            f"the request body did not arrive within {seconds:g} seconds",
        )


class BodyTimeoutMiddleware:
    def __init__(self, app: ASGIApp, *, seconds: float, upload_seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.upload_seconds = upload_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = self.seconds
        if is_upload(scope, Headers(scope=scope)):
            allowed += self.upload_seconds
        deadline = asyncio.get_running_loop().time() + allowed
        body_complete = False
        response_started = False

        async def timed_receive() -> Message:
            nonlocal body_complete
            if body_complete:  # only a disconnect can follow, whenever it comes
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut(allowed) from None
            body_complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except BodyTimedOut as timed_out:
            if response_started:
                raise
            await response_for(timed_out)(scope, receive, send)
