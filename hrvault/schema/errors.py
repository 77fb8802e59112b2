"""What a client sees of an error: a message and a typed ``extensions.code``, nothing internal.

In production a document that does not fit the schema is answered with its code and a
generic message: graphql-core's own messages name the types, fields and arguments the
client got wrong or left out ("Field 'x' of required type 'Y!' was not provided"), which
would describe the schema that introspection is off to keep private. The detail goes to
the server log under the request id, with the values it quotes left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from hrvault.errors import INTERNAL_MESSAGE, ErrorCode, HrvaultError

logger = logging.getLogger("hrvault.errors")

# graphql-core ends a message with its guesses at what was meant: " Did you mean 'x'?"
SUGGESTION = " Did you mean "
# The parser's words when it stops at the token limit (graphql-core's parser.py).
TOKEN_LIMIT_MESSAGE = "Document contains more than"  # noqa: S105 - not a secret
GENERIC_MESSAGES = {
    ErrorCode.GRAPHQL_VALIDATION_FAILED.value: "the document is not valid for this API",
    ErrorCode.BAD_USER_INPUT.value: "a variable does not fit the type the operation declares",
}
# A quoted part of a message: a schema member's name ('Employee', '$id', '[ID!]!') or a value.
_QUOTED = re.compile(r"""(["'])(?:\\.|(?!\1).)*\1""")
_NAME = re.compile(r"""^(["'])[\[$]*[_A-Za-z][_0-9A-Za-z]*[!\]]*\1$""")
_DIGITS = re.compile(r"\d+")
# What follows these words in graphql-core's messages is the value the client sent.
_SHOWN_VALUE = re.compile(
    r"""(found:?|represent[^:]*value:)\s+(\{.*\}|\[.*\]|'(?:\\.|[^'])*'|"(?:\\.|[^"])*"|[^\s;,]+)"""
)


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


def without_values(message: str) -> str:
    """The message with the values it quotes (strings and numbers) left out, for the log:
    a value a client sent in the wrong place may be anybody's salary or national id."""
    shown_left_out = _SHOWN_VALUE.sub(r"\1 …", message)
    names_only = _QUOTED.sub(
        lambda quoted: quoted[0] if _NAME.match(quoted[0]) else "'…'", shown_left_out
    )
    return _DIGITS.sub("#", names_only)


def _own_message(error: GraphQLError) -> str | None:
    """The message of an hrvault error that a scalar raised under graphql-core's wrapping."""
    cause: BaseException | None = error.original_error
    while isinstance(cause, GraphQLError):
        cause = cause.original_error
    return cause.message if isinstance(cause, HrvaultError) else None


def _quiet_message(error: GraphQLError, code: str, request_id: str) -> str | None:
    """Production's message for an error that graphql-core worded, or None to keep it."""
    original = error.original_error
    worded_by_us = isinstance(original, HrvaultError) and error.message == original.message
    if code not in GENERIC_MESSAGES or worded_by_us:
        return None
    logger.info(
        "request %s refused as %s: %s at %s",
        request_id,
        code,
        without_values(error.message),
        [(where.line, where.column) for where in error.locations or ()],
    )
    return _own_message(error) or GENERIC_MESSAGES[code]


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
    error: GraphQLError, request_id: str, *, production: bool = False
) -> dict[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, (HrvaultError, GraphQLError)):
        formatted = error.formatted
        extensions = dict(formatted.get("extensions") or {})
        if "code" not in extensions:
            extensions["code"] = _code_for_request_error(error.message).value
        formatted["extensions"] = extensions
        if production:
            quiet = _quiet_message(error, extensions["code"], request_id)
            formatted["message"] = quiet or without_suggestions(formatted["message"])
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
