"""The schema extension that writes a request's audit records into its own transaction.

After a mutation executed without errors, its entries are chained; the view commits the
records together with the changes, or (on any error, the audit insert's included) rolls
both back. After a query, a record of the sensitive values it returned is chained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from hrvault.audit.chain import append
from hrvault.audit.records import Actor, ActorKind


class AuditTrailExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        ctx = execution.context
        if execution.result is None or ctx.principal is None:
            return
        if ctx.is_mutation and execution.result.errors:
            return  # rolled back by the view: nothing happened, nothing to record
        entries = ctx.audit.take()
        if not entries:
            return
        principal = ctx.principal
        actor = Actor(
            ActorKind(principal.kind.value),
            principal.actor_id,
            principal.display_name,
            via_kind=principal.via_kind,
            via_id=principal.via_id,
            via_reason=principal.via_reason,
        )
        await append(
            ctx.db,
            principal.tenant_id,
            entries,
            actor=actor,
            origin=ctx.origin(execution.operation_name),
            now=ctx.clock.now(),
        )
