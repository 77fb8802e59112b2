"""Requests refused before any GraphQL runs still answer in GraphQL's error shape.

A client then handles every failure the same way: ``errors[].extensions.code``, whether
the body was too large, was not JSON, was a batch, or came too often.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from strawberry.schema.exceptions import InvalidOperationTypeError

from hrvault.errors import ErrorCode

_CODES_BY_STATUS = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
GRAPHQL_METHODS = "GET, POST"


class RequestRefused(HTTPException):
    """An HTTP-level refusal with its own code (and a wait, for rate limits)."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        reason: str,
        *,
        retry_after: int | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code
        self.retry_after = retry_after
        self.details = details or {}


def refusal_response(
    status_code: int,
    code: ErrorCode,
    message: str,
    *,
    retry_after: int | None = None,
    details: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    extensions: dict[str, object] = {**(details or {}), "code": code.value}
    headers = dict(headers or {})
    if retry_after is not None:
        extensions["retryAfterSeconds"] = retry_after
        headers["retry-after"] = str(retry_after)
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status_code,
        headers=headers,
    )


def response_for(refusal: HTTPException) -> JSONResponse:
    """The response for a refusal raised by hrvault or by the GraphQL server library."""
    details: dict[str, object] = {}
    headers = {"allow": GRAPHQL_METHODS} if refusal.status_code == 405 else {}
    if isinstance(refusal, RequestRefused):
        code = refusal.code
        retry_after = refusal.retry_after
        details = refusal.details
    else:
        retry_after = None
        if isinstance(refusal.__cause__, InvalidOperationTypeError):
            code = ErrorCode.OPERATION_NOT_ALLOWED
        else:
            code = _CODES_BY_STATUS.get(refusal.status_code, ErrorCode.BAD_REQUEST)
    return refusal_response(
        refusal.status_code,
        code,
        refusal.reason,
        retry_after=retry_after,
        details=details,
        headers=headers,
    )


async def routing_refusal(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such path, a method the route does not take) in the
    same shape, with the ``Allow`` header Starlette gives a 405."""
    if not isinstance(exc, StarletteHTTPException):
        raise TypeError(f"not an HTTP refusal: {type(exc).__name__}")
    code = _CODES_BY_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
    return refusal_response(exc.status_code, code, exc.detail, headers=dict(exc.headers or {}))
