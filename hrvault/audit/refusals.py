"""Refused mutations as security events in the tenant's chain.

A mutation refused for want of a permission, a step-up, a delegation or a second factor
rolls back, and with it anything it would have recorded. Its refusal is recorded after
the rollback, in a transaction of its own: who, which operation (the schema's field name,
never an alias a client chose), the error code and the refusal's reason — never the
arguments, which may be the very values that were refused.

A flood must not grow the chain without bound: refusals are counted per principal,
operation and reason in ``audit_refusal_tallies`` (only through ``hrvault_tally_refusal``,
migration 0012), and only the first of each minute is chained. It carries how many
refusals of the same kind went unrecorded since the previous record, so the chain still
accounts for every one (the latest minute's count is carried by the next record).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)
from sqlalchemy import text

from hrvault.audit.chain import append
from hrvault.audit.records import Actor, ActorKind, Change, Entry
from hrvault.auth.principal import Principal
from hrvault.db import bind_tenant
from hrvault.errors import Forbidden, HrvaultError, InvalidCode, StepUpRequired, TotpRequired
from hrvault.vocabulary import FieldGroup

if TYPE_CHECKING:
    from hrvault.resolvers.context import RequestContext

REFUSALS = (Forbidden, StepUpRequired, TotpRequired, InvalidCode)
"""Refusals of who the caller is or what they hold: Forbidden covers every permission and
delegation denial (and TOTP enrolment demanded), the others a missing or wrong second
factor. Bad input, conflicts and missing rows are not refusals."""
ADMIN = FieldGroup.ADMINISTRATION.value
logger = logging.getLogger(__name__)
_TALLY = text("SELECT hrvault_tally_refusal(:tenant, :actor, :operation, :reason, :minute)")


@dataclass(frozen=True)
class Refusal:
    operation: str
    code: str
    reason: str


def actor_of(principal: Principal) -> Actor:
    return Actor(
        ActorKind(principal.kind.value),
        principal.actor_id,
        principal.display_name,
        via_kind=principal.via_kind,
        via_id=principal.via_id,
        via_reason=principal.via_reason,
    )


def reason_of(error: HrvaultError) -> str:
    """The refusal's own reason code where it gives one, else its error code."""
    reason = error.extensions.get("reason")
    return reason[:120] if isinstance(reason, str) and reason else error.code.value.lower()


def refusals_in(
    errors: Iterable[GraphQLError], document: DocumentNode | None, operation_name: str | None
) -> list[Refusal]:
    """One refusal per root field, operation kind and reason among ``errors``."""
    fields = _root_fields(document, operation_name) if document is not None else {}
    found: dict[Refusal, None] = {}
    for error in errors:
        cause = error.original_error
        if not isinstance(cause, REFUSALS) or not error.path:
            continue
        key = str(error.path[0])
        found[Refusal(fields.get(key, key)[:64], cause.code.value, reason_of(cause))] = None
    return list(found)


def _root_fields(document: DocumentNode, operation_name: str | None) -> dict[str, str]:
    """Response key -> field name at the root of the executed operation."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = get_operation_ast(document, operation_name)
    names: dict[str, str] = {}

    def walk(selections: SelectionSetNode, seen: frozenset[str]) -> None:
        for node in selections.selections:
            if isinstance(node, FieldNode):
                names[(node.alias or node.name).value] = node.name.value
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                fragment = fragments.get(node.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, seen | {node.name.value})

    if operation is not None:
        walk(operation.selection_set, frozenset())
    return names


async def record_refusals(ctx: RequestContext) -> None:
    """Chain the request's refusals (first of their minute) after its rollback. A failure
    to record is logged, and the caller still gets the refusal it earned; the request's
    deadline bounds it like everything else the request does."""
    refusals: Sequence[Refusal] = ctx.audit.take_refusals()
    principal = ctx.principal
    if not refusals or principal is None:
        return
    try:
        await _chain_refusals(ctx, principal, refusals)
    except Exception:
        logger.exception("recording a refused mutation failed")


async def _chain_refusals(
    ctx: RequestContext, principal: Principal, refusals: Sequence[Refusal]
) -> None:
    now = ctx.clock.now()
    minute = now.replace(second=0, microsecond=0)
    async with ctx.sessions() as db:
        await bind_tenant(db, principal.tenant_id)
        entries = []
        for refusal in refusals:
            unrecorded = await db.scalar(
                _TALLY,
                {
                    "tenant": principal.tenant_id,
                    "actor": _actor_key(principal),
                    "operation": refusal.operation,
                    "reason": refusal.reason,
                    "minute": minute,
                },
            )
            if unrecorded is not None:
                entries.append(_entry(refusal, int(unrecorded), minute))
        await append(
            db,
            principal.tenant_id,
            entries,
            actor=actor_of(principal),
            origin=ctx.origin(),
            now=now,
        )
        await db.commit()


def _actor_key(principal: Principal) -> str:
    return f"{principal.kind.value}:{principal.actor_id}:{principal.via_id}"


def _entry(refusal: Refusal, unrecorded: int, minute: datetime) -> Entry:
    details: Mapping[str, object] = {
        "code": refusal.code,
        "reason": refusal.reason,
        "minute": minute.isoformat(),
        "unrecorded_before": unrecorded,
    }
    return Entry(
        "refused",
        "Operation",
        refusal.operation,
        changes=tuple(Change(name, ADMIN, None, value) for name, value in details.items()),
    )
