"""Credential operations: root fields that check a secret (login; later TOTP, step-up).

A field is one when it is declared with ``fields.credential_mutation``, which attaches
``CredentialAttempt``. That one marker gives two guarantees: every call is throttled per
account and address, per account and per address (``hrvault.auth.throttle``, which
second-factor codes pass through too), and a request may hold at most one credential
field whatever its aliases or fragments (``hrvault.schema.limits``), so one request can
never carry a batch of guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLSchema
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.types import Info

from hrvault.auth.throttle import CredentialKind
from hrvault.errors import TooManyAttempts

AccountOf = Callable[[Mapping[str, Any]], str]
"""Names the account an attempt is for, from the field's (snake_case) arguments."""


class CredentialAttempt(FieldExtension):
    def __init__(self, kind: CredentialKind, account: AccountOf) -> None:
        self.kind = kind
        self.account = account

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Reserve an attempt first; only a resolver that returns counts as a success."""
        context = info.context
        try:
            attempt = await context.throttle.reserve(
                self.kind, self.account(kwargs), context.client_ip
            )
        except TooManyAttempts as refused:
            context.response.headers["retry-after"] = str(refused.retry_after_seconds)
            raise
        result = await next_(source, info, **kwargs)
        await context.throttle.succeeded(attempt)
        return result


def credential_fields(schema: GraphQLSchema) -> frozenset[str]:
    """Names of the root fields of ``schema`` that are credential operations."""
    names = set()
    for root in (schema.query_type, schema.mutation_type):
        if root is None:
            continue
        for name, field in root.fields.items():
            definition = field.extensions.get("strawberry-definition")
            extensions = getattr(definition, "extensions", ())
            if any(isinstance(e, CredentialAttempt) for e in extensions):
                names.add(name)
    return frozenset(names)
