"""What a client sees of an error: a message and a typed ``extensions.code``, nothing internal."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from hrvault.errors import ErrorCode, HrvaultError

logger = logging.getLogger("hrvault.errors")

INTERNAL_MESSAGE = "internal server error; quote the request id when reporting it"
# graphql-core ends a message with its guesses at what was meant: " Did you mean 'x'?"
SUGGESTION = " Did you mean "
# The parser's words when it stops at the token limit (graphql-core's parser.py).
TOKEN_LIMIT_MESSAGE = "Document contains more than"  # noqa: S105 - not a secret


def _code_for_request_error(message: str) -> ErrorCode:
    """Errors raised before execution carry no original exception; sort them by kind."""
    if message.startswith("Syntax Error") and TOKEN_LIMIT_MESSAGE in message:
        return ErrorCode.TOKEN_LIMIT_EXCEEDED
    if message.startswith("Syntax Error"):
        return ErrorCode.GRAPHQL_PARSE_FAILED
    if message.startswith("Variable "):
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.GRAPHQL_VALIDATION_FAILED


def without_suggestions(message: str) -> str:
    """The message without its "Did you mean …?" tail, which would name schema members
    (fields, arguments, enum values) that introspection is meant to keep private."""
    head, found, _ = message.partition(SUGGESTION)
    return head if found else message


def one_per_cause(errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """The errors, those sharing one exception kept once (at the first path it reached).

    Every field that waited on a failed loader batch carries the batch's one exception;
    a response holds that cause once, not a copy per field (the fields are null).
    """
    seen: set[int] = set()
    kept: list[GraphQLError] = []
    for error in errors:
        cause = error.original_error
        if cause is not None:
            if id(cause) in seen:
                continue
            seen.add(id(cause))
        kept.append(error)
    return kept


def format_error(
    error: GraphQLError, request_id: str, *, hide_suggestions: bool = False
) -> dict[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, (HrvaultError, GraphQLError)):
        formatted = error.formatted
        extensions = dict(formatted.get("extensions") or {})
        if "code" not in extensions:
            extensions["code"] = _code_for_request_error(error.message).value
        formatted["extensions"] = extensions
        if hide_suggestions:
            formatted["message"] = without_suggestions(formatted["message"])
        return dict(formatted)
    logger.error(
        "unexpected error in request %s at %s",
        request_id,
        error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    formatted_error: dict[str, Any] = {
        "message": INTERNAL_MESSAGE,
        "extensions": {"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    }
    if error.path is not None:
        formatted_error["path"] = error.path
    return formatted_error
