"""The GraphQL HTTP endpoint: one principal and one tenant-bound transaction per request."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from hrvault.audit.auth_events import record_session_end
from hrvault.audit.signing import PublicAuditKey
from hrvault.auth import sessions, staff, support
from hrvault.auth.principal import Principal, PrincipalKind, SessionStage
from hrvault.auth.seed_sealing import TotpSeedSealer
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.db import bind_tenant
from hrvault.errors import HrvaultError, StepUpRequired, TotpRequired, Unauthenticated
from hrvault.permissions.compile import load_policy
from hrvault.permissions.policy import Policy
from hrvault.permissions.relations import Relations
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.loaders import Loaders
from hrvault.resolvers.reader import Reader
from hrvault.schema.cookies import SESSION_COOKIE
from hrvault.schema.errors import format_error


def _presented_token(request: Request) -> str | None:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""
    return request.cookies.get(SESSION_COOKIE)


class HrvaultGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        clock: Clock,
        sessions_factory: async_sessionmaker[AsyncSession],
        audit_keys: PublicAuditKey,
        seeds: TotpSeedSealer,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
        )
        self._settings = settings
        self._clock = clock
        self._sessions = sessions_factory
        self._audit_keys = audit_keys
        self._seeds = seeds

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return RequestContext(
            request=request,
            response=response,
            settings=self._settings,
            clock=self._clock,
            request_id=request.state.request_id,
            sessions=self._sessions,
            audit_keys=self._audit_keys,
            seeds=self._seeds,
        )

    async def _authenticate(self, context: RequestContext) -> None:
        token = _presented_token(context.request)
        if token is None:
            return
        if staff.is_staff_token(token):
            await self._authenticate_staff(context, token)
            return
        try:
            context.principal = await sessions.authenticate(
                context.db, token, now=self._clock.now()
            )
        except sessions.SessionEnded as ended:
            context.auth_failure = ended
            await record_session_end(context, ended)
            return
        except Unauthenticated as failure:
            context.auth_failure = failure
            return
        principal = context.session = context.principal
        context.loaders = Loaders(context.reader, principal.tenant_id, context.today())
        if principal.stage is not SessionStage.FULL:
            context.policy = Policy([], [], Relations(viewer=None))  # enrol or log in first
            return
        context.policy = await load_policy(
            context.db,
            principal.tenant_id,
            viewer_employee_id=principal.employee_id,
            today=context.today(),
            user_id=principal.actor_id,
        )

    async def _authenticate_staff(self, context: RequestContext, token: str) -> None:
        """A staff session reaches tenant data only through its activated, live grant and
        with a TOTP step-up in the last 15 minutes; the policy is the grant's, nothing else."""
        now = self._clock.now()
        try:
            caller = context.staff = await staff.authenticate_staff(context.db, token, now=now)
            if caller.stage is not SessionStage.FULL:
                raise TotpRequired("complete the staff login with a TOTP code first")
            if caller.tenant_id is None or caller.grant_id is None:
                raise Unauthenticated("activate a support grant first (activateSupportGrant)")
            await bind_tenant(context.db, caller.tenant_id)
            grant = await support.live_grant(
                context.db, caller.tenant_id, caller.grant_id, caller.staff_id, now
            )
            if not caller.stepped_up_within(now):
                raise StepUpRequired(
                    "support access needs a TOTP step-up within the last 15 minutes",
                    stepUpWindowSeconds=int(staff.STEP_UP_WINDOW.total_seconds()),
                )
        except HrvaultError as failure:
            context.auth_failure = failure
            return
        context.principal = Principal(
            kind=PrincipalKind.SUPPORT,
            tenant_id=caller.tenant_id,
            actor_id=caller.staff_id,
            display_name=caller.name,
            session_id=caller.session_id,
            stepped_up_at=caller.stepped_up_at,
            step_up_window=staff.STEP_UP_WINDOW,
            via_id=grant.id,
            via_reason=support.via_reason(grant),
        )
        context.loaders = Loaders(context.reader, caller.tenant_id, context.today())
        context.policy = support.grant_policy(grant)
        context.audit.record_every_read = True

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Run the operation inside the request's transaction; errors in a mutation undo it."""
        context: RequestContext = kwargs["context"]
        async with self._sessions() as db:
            context.db = db
            context.reader = Reader(db)
            try:
                await self._authenticate(context)
                result = await super().execute_single(*args, **kwargs)
                if result.errors and context.is_mutation:
                    await db.rollback()
                else:
                    await db.commit()
            except HTTPException:
                await db.rollback()
                raise
            except Exception as exc:  # masked and logged with the request id by format_error
                await db.rollback()
                return ExecutionResult(
                    data=None, errors=[GraphQLError("transaction failed", original_error=exc)]
                )
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            request_id = request.state.request_id
            response["errors"] = [format_error(e, request_id) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response
