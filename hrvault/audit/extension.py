"""The schema extension that writes a request's audit records into its own transaction.

After a mutation executed without errors, its entries are chained; the view commits the
records together with the changes, or (on any error, the audit insert's included) rolls
both back. A mutation refused (permission, step-up, delegation, second factor) leaves its
refusals, which the view records after the rollback (``hrvault.audit.refusals``). After a
query, a record of the sensitive values it returned is chained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from hrvault.audit.chain import append
from hrvault.audit.refusals import actor_of, refusals_in


class AuditTrailExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        ctx = execution.context
        if execution.result is None or ctx.principal is None:
            return
        if ctx.is_mutation and execution.result.errors:
            # Rolled back by the view: nothing happened but what was refused.
            ctx.audit.refused(
                refusals_in(
                    execution.result.errors,
                    execution.graphql_document,
                    execution.operation_name,
                )
            )
            return
        entries = ctx.audit.take()
        if not entries:
            return
        principal = ctx.principal
        await append(
            ctx.db,
            principal.tenant_id,
            entries,
            actor=actor_of(principal),
            origin=ctx.origin(execution.operation_name),
            now=ctx.clock.now(),
        )
