"""Bounds on every GraphQL request, checked before any resolver runs.

- tokens: the parser stops reading past the limit;
- depth, aliases, directives, and at most one credential field per request: a
  validation rule over the whole document;
- introspection, in production: a validation rule;
- cost: checked just before execution, because it depends on the request's variables
  (``first: $n``).

The validation rules are classes built once per schema, not per request: the
validation cache is keyed by the rules, so rules built afresh would never hit it.
Each violation carries its own ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    ValidationRule,
    get_operation_ast,
)
from graphql.language.visitor import SKIP, VisitorAction
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from hrvault.config import GraphQLLimits
from hrvault.errors import CostLimitExceeded, ErrorCode
from hrvault.schema.bounds import Bounds
from hrvault.schema.credentials import credential_fields
from hrvault.schema.measure import CostMeter, ShapeMeter

ValidationRules = tuple[type[ASTValidationRule], ...]


def _error(code: ErrorCode, message: str, nodes: Sequence[Node], **details: Any) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code.value, **details})


def _name(operation: OperationDefinitionNode) -> str:
    return f"operation '{operation.name.value}'" if operation.name else "the operation"


def document_limits_rule(limits: GraphQLLimits) -> type[ValidationRule]:
    """The rule that measures each operation of a document against ``limits``."""
    bounds = (
        ("depth", limits.max_depth, ErrorCode.DEPTH_LIMIT_EXCEEDED, "is {} levels deep"),
        ("aliases", limits.max_aliases, ErrorCode.ALIAS_LIMIT_EXCEEDED, "has {} aliases"),
        (
            "directives",
            limits.max_directives,
            ErrorCode.DIRECTIVE_LIMIT_EXCEEDED,
            "has {} directives",
        ),
    )

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> VisitorAction:
            credentials = credential_fields(self.context.schema)
            meter = ShapeMeter(node, credentials)
            operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
            credential_uses = 0
            for operation in operations:
                shape = meter.operation(operation)
                credential_uses += shape.credential_fields
                for measure, limit, code, says in bounds:
                    measured = getattr(shape, measure)
                    if measured > limit:
                        message = (
                            f"{_name(operation)} {says.format(measured)}; the limit is {limit}"
                        )
                        self.report_error(_error(code, message, [operation], limit=limit))
            if credential_uses > 1:
                names = ", ".join(sorted(credentials))
                message = (
                    f"a request may hold one credential operation ({names}); "
                    f"this one holds {credential_uses}"
                )
                self.report_error(
                    _error(ErrorCode.CREDENTIAL_OPERATION_REPEATED, message, operations)
                )
            return SKIP

    return DocumentLimits


class IntrospectionDisabled(NoSchemaIntrospectionCustomRule):
    """The standard rule, with its own code: production does not describe its schema."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(
            _error(
                ErrorCode.INTROSPECTION_DISABLED,
                "introspection is disabled",
                list(error.nodes or ()),
            )
        )


def validation_rules(limits: GraphQLLimits, *, introspection: bool) -> ValidationRules:
    rules: list[type[ASTValidationRule]] = [document_limits_rule(limits)]
    if not introspection:
        rules.append(IntrospectionDisabled)
    return tuple(rules)


class RequestLimits(SchemaExtension):
    """Applies the limits to one request; built per request from rules built once."""

    def __init__(
        self,
        limits: GraphQLLimits,
        rules: ValidationRules,
        bounds: Bounds,
        max_page_size: int,
    ) -> None:
        self.limits = limits
        self.rules = rules
        self.bounds = bounds
        self.max_page_size = max_page_size

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.limits.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            cost = CostMeter(
                context.schema._schema,
                document,
                operation,
                context.variables or {},
                bounds=self.bounds,
                max_page_size=self.max_page_size,
            ).total()
            if cost > self.limits.max_cost:
                raise CostLimitExceeded(
                    f"{_name(operation)} costs {cost}; the limit is {self.limits.max_cost} "
                    "(one per field, times the most items of every list above it)",
                    cost=cost,
                    limit=self.limits.max_cost,
                )
        yield
