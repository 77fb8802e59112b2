"""The last answer to a request that failed in a way nothing else foresaw.

Without it an exception that escapes a route reaches Starlette's outermost handler, which
answers ``text/plain`` "Internal Server Error" with none of the security headers and no
request id, outside the shape every other error has. Here it is a JSON
``INTERNAL_SERVER_ERROR`` with the request id, inside the request id and security header
middleware, and the exception goes to the log under that id. Nothing about it reaches the
client.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrvault.errors import INTERNAL_MESSAGE, ErrorCode
from hrvault.http.refusals import refusal_response

logger = logging.getLogger("hrvault.errors")


class LastResortMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            request_id = scope.get("state", {}).get("request_id", "")
            logger.exception(
                # Not the path: a download link's token is in it.
                "unexpected error in request %s (%s)%s",
                request_id,
                scope["method"],
                "; the response had started and was cut short" if started else "",
            )
            if started:
                return
            response = refusal_response(
                500,
                ErrorCode.INTERNAL_SERVER_ERROR,
                INTERNAL_MESSAGE,
                details={"requestId": request_id},
            )
            await response(scope, receive, send)
