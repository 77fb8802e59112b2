"""Assembling the schema, with its extensions and the build-time access checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from hrvault.audit.extension import AuditTrailExtension
from hrvault.config import Settings
from hrvault.schema.bounds import list_bounds
from hrvault.schema.checks import check_declared_access, check_declared_delegation
from hrvault.schema.executor import bounded_executor
from hrvault.schema.limits import RequestLimits, validation_rules
from hrvault.schema.mutations import Mutation
from hrvault.schema.query import Query
from hrvault.schema.scalars import SCALARS

# Types that only shape a response (pages, payloads) and hold no tenant data of their own.
STRUCTURAL_TYPES = {
    "EmployeeConnection",
    "EmployeeEdge",
    "PageInfo",
    "LoginPayload",
    "Viewer",
    "AuditRecordConnection",
    "AuditRecordEdge",
    "IssuedPartnerToken",
    "TotpEnrollment",
    "SessionRenewal",
}
ROOT_TYPES = {"Query", "Mutation"}
# Types whose object is one person: every field outside `basic` is guarded per person.
SUBJECT_TYPES = {"Employee"}


class MarkOperationKind(SchemaExtension):
    """Tell the transaction owner whether this operation may write (then errors roll back)."""

    def on_execute(self) -> Iterator[None]:
        self.execution_context.context.is_mutation = (
            self.execution_context.operation_type is OperationType.MUTATION
        )
        yield


class RestrictedPaths(SchemaExtension):
    """List the response paths a permission withheld, so a client can show "restricted",
    and the lists cut at their bound, so it can show that there is more."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        notes = {"restricted": context.restricted, "truncated": context.truncated}
        return {name: paths for name, paths in notes.items() if paths}


class HrvaultSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Errors are logged once, by the HTTP view, with the request id and without values."""


def build_schema(settings: Settings | None = None, **overrides: Any) -> strawberry.Schema:
    """The schema with the request limits of ``settings`` (the defaults when None)."""
    settings = settings or Settings()
    limits = settings.graphql
    rules = validation_rules(limits, introspection=not settings.is_production)
    schema = HrvaultSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: RequestLimits(limits, rules, bounds, settings.max_page_size),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            MarkOperationKind,
            RestrictedPaths,
            AuditTrailExtension,
        ],
        scalar_overrides=SCALARS,
        **overrides,
    )
    check_declared_access(
        schema,
        root_types=ROOT_TYPES,
        structural_types=STRUCTURAL_TYPES,
        subject_types=SUBJECT_TYPES,
    )
    check_declared_delegation(schema, mutation_type="Mutation")
    bounds = list_bounds(schema)  # the meter's factory above reads it when a request comes
    schema.execution_context_class = bounded_executor(bounds, settings.max_page_size)
    return schema
