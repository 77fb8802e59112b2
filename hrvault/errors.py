"""Errors a client may see. Each carries a stable ``extensions.code``.

Anything else that escapes a resolver is an internal error: the client gets
``INTERNAL_SERVER_ERROR`` and a request id, the details go to the log only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

INTERNAL_MESSAGE = "internal server error; quote the request id when reporting it"


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    INVALID_CODE = "INVALID_CODE"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
    TOTP_REQUIRED = "TOTP_REQUIRED"
    TOTP_ENROLLMENT_REQUIRED = "TOTP_ENROLLMENT_REQUIRED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # The HTTP request itself is refused before any GraphQL runs.
    BAD_REQUEST = "BAD_REQUEST"
    BATCH_NOT_ALLOWED = "BATCH_NOT_ALLOWED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    OPERATION_NOT_ALLOWED = "OPERATION_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"
    # The database cannot be reached: HTTP 503 with Retry-After.
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # A document over one of the limits never executes.
    TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"  # noqa: S105 - GraphQL tokens, not secrets
    DEPTH_LIMIT_EXCEEDED = "DEPTH_LIMIT_EXCEEDED"
    ALIAS_LIMIT_EXCEEDED = "ALIAS_LIMIT_EXCEEDED"
    DIRECTIVE_LIMIT_EXCEEDED = "DIRECTIVE_LIMIT_EXCEEDED"
    COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
    CREDENTIAL_OPERATION_REPEATED = "CREDENTIAL_OPERATION_REPEATED"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    # Past the request's deadline (HTTP 503 with Retry-After), or a body that took too
    # long to arrive (HTTP 408).
    OPERATION_TIMED_OUT = "OPERATION_TIMED_OUT"
    DATA_INTEGRITY = "DATA_INTEGRITY"
    # Documents (uploads and download links).
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    LINK_EXPIRED = "LINK_EXPIRED"
    LINK_USED = "LINK_USED"


class HrvaultError(Exception):
    """An expected failure with a message that is safe to show to the caller.

    graphql-core copies ``extensions`` from the original error onto the GraphQL error.
    """

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": self.code.value, **details}


class Unauthenticated(HrvaultError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(HrvaultError):
    code = ErrorCode.FORBIDDEN


class NotFound(HrvaultError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(HrvaultError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(HrvaultError):
    code = ErrorCode.CONFLICT


class CostLimitExceeded(HrvaultError):
    code = ErrorCode.COST_LIMIT_EXCEEDED


class TooManyAttempts(HrvaultError):
    """Credential attempts are throttled; ``retryAfterSeconds`` says when to try again."""

    code = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(self, retry_after_seconds: int, retry_at: datetime | None = None) -> None:
        when = {"retryAt": retry_at.isoformat()} if retry_at is not None else {}
        super().__init__(
            f"too many attempts; try again in {retry_after_seconds} seconds",
            retryAfterSeconds=retry_after_seconds,
            **when,
        )
        self.retry_after_seconds = retry_after_seconds


class RateLimited(HrvaultError):
    code = ErrorCode.RATE_LIMITED


class InvalidCode(HrvaultError):
    """A wrong, expired or already used TOTP or recovery code: one answer for all."""

    code = ErrorCode.INVALID_CODE


class DataIntegrity(HrvaultError):
    """A stored ciphertext did not open: tampered, moved, or its key is gone.

    The value is withheld (a null field, a refused download), never shown as garbage; the
    details go to the security log, not to the caller.
    """

    code = ErrorCode.DATA_INTEGRITY


class PayloadTooLarge(HrvaultError):
    """A document over the tenant's size limit (``maxBytes``); nothing of it is kept."""

    code = ErrorCode.PAYLOAD_TOO_LARGE


class UnsupportedFileType(HrvaultError):
    """The content is none of the accepted types, whatever its name or claimed type."""

    code = ErrorCode.UNSUPPORTED_FILE_TYPE


class LinkExpired(HrvaultError):
    """A download link past its lifetime."""

    code = ErrorCode.LINK_EXPIRED


class LinkUsed(HrvaultError):
    """A download link that was already used: each works once."""

    code = ErrorCode.LINK_USED


class StepUpRequired(HrvaultError):
    code = ErrorCode.STEP_UP_REQUIRED


class TotpRequired(Unauthenticated):
    """The password was right; the login is completed with ``completeLogin(code)``."""

    code = ErrorCode.TOTP_REQUIRED


class TotpEnrollmentRequired(Forbidden):
    """A role of this user requires TOTP: enrol before doing anything else."""

    code = ErrorCode.TOTP_ENROLLMENT_REQUIRED


def not_found(kind: str) -> NotFound:
    """The same answer for a missing id and another tenant's id: nothing to tell apart."""
    return NotFound(f"{kind} not found")


def bad_input(field: str, message: str) -> BadUserInput:
    return BadUserInput(f"{field}: {message}", field=field)
