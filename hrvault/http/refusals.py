"""Requests refused before any GraphQL runs still answer in GraphQL's error shape.

A client then handles every failure the same way: ``errors[].extensions.code``, whether
the body was too large, was not JSON, was a batch, or came too often.
"""

from __future__ import annotations

from cross_web import HTTPException
from starlette.responses import JSONResponse
from strawberry.schema.exceptions import InvalidOperationTypeError

from hrvault.errors import ErrorCode

_CODES_BY_STATUS = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


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
) -> JSONResponse:
    extensions: dict[str, object] = {**(details or {}), "code": code.value}
    headers = {}
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
        refusal.status_code, code, refusal.reason, retry_after=retry_after, details=details
    )
