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
from hrvault.audit.partner_events import record_idle_token
from hrvault.audit.signing import PublicAuditKey
from hrvault.auth import sessions
from hrvault.auth.partner_tokens import TokenHasher, looks_like_partner_token
from hrvault.auth.partners import PartnerTokenIdle, authenticate_partner
from hrvault.auth.rate_limit import RateLimiter
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.errors import RateLimited, Unauthenticated
from hrvault.permissions.compile import load_policy
from hrvault.permissions.partner_policy import load_partner_policy
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.loaders import Loaders
from hrvault.resolvers.reader import Reader
from hrvault.schema.cookies import SESSION_COOKIE
from hrvault.schema.errors import format_error


def _presented_token(request: Request) -> tuple[str | None, bool]:
    """The token and whether it came in the Authorization header (not a cookie)."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        return (token.strip() if scheme.lower() == "bearer" else ""), True
    return request.cookies.get(SESSION_COOKIE), False


class HrvaultGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        clock: Clock,
        sessions_factory: async_sessionmaker[AsyncSession],
        audit_keys: PublicAuditKey,
        token_hasher: TokenHasher,
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
        self._token_hasher = token_hasher
        self._partner_limit = RateLimiter(settings.partner_rate_limit)

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return RequestContext(
            request=request,
            response=response,
            settings=self._settings,
            clock=self._clock,
            request_id=request.state.request_id,
            sessions=self._sessions,
            audit_keys=self._audit_keys,
            token_hasher=self._token_hasher,
        )

    async def _authenticate_partner(self, context: RequestContext, token: str) -> None:
        """Partner tokens count only in the Authorization header; cookies never carry them."""
        now = self._clock.now()
        try:
            caller = await authenticate_partner(
                context.db, self._token_hasher, token, now=now, client_ip=context.client_ip
            )
        except PartnerTokenIdle as idle:
            context.auth_failure = idle
            await record_idle_token(context, idle)
            return
        except Unauthenticated as failure:
            context.auth_failure = failure
            return
        if not self._partner_limit.allow(caller.principal.via_id or caller.integration.id, now):
            context.auth_failure = RateLimited(
                "too many requests with this partner token; slow down",
                limitPerMinute=self._partner_limit.per_window,
            )
            return
        context.principal = caller.principal
        context.audit.every_read = True
        context.loaders = Loaders(context.reader, caller.principal.tenant_id, context.today())
        context.policy = await load_partner_policy(context.db, caller.integration, context.today())

    async def _authenticate(self, context: RequestContext) -> None:
        token, from_header = _presented_token(context.request)
        if token is None:
            return
        if looks_like_partner_token(token):
            if from_header:
                await self._authenticate_partner(context, token)
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
        principal = context.principal
        context.loaders = Loaders(context.reader, principal.tenant_id, context.today())
        context.policy = await load_policy(
            context.db,
            principal.tenant_id,
            viewer_employee_id=principal.employee_id,
            today=context.today(),
            user_id=principal.actor_id,
        )

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
