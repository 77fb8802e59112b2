"""The GraphQL HTTP endpoint: one principal and one tenant-bound transaction per request.

What the endpoint accepts is deliberately narrow: one operation per request as a JSON
object (no batches), ``application/json`` for POST and queries only over GET (the
library's rules). Multipart (GraphQL multipart requests, for ``uploadDocument``) only with
a header no simple request can carry: a multipart POST is a request a browser sends
cross-site without a preflight, so without it cookie-authenticated users could be forged
into uploading (``hrvault.schema.uploads``).

An upload's file is received after authentication and before the operation's
transaction, with no database connection held, under the tenant's size limit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from hrvault.audit.auth_events import record_session_end
from hrvault.audit.partner_events import record_idle_token
from hrvault.audit.refusals import record_refusals
from hrvault.audit.signing import PublicAuditKey
from hrvault.auth import sessions, staff, support
from hrvault.auth.partner_tokens import TokenHasher, looks_like_partner_token
from hrvault.auth.partners import PartnerTokenIdle, authenticate_partner
from hrvault.auth.principal import Principal, PrincipalKind, SessionStage
from hrvault.auth.rate_limit import RequestRateLimiter
from hrvault.auth.seed_sealing import SeedSealing
from hrvault.auth.throttle import CredentialThrottle, client_network
from hrvault.buckets import Rate, whole_seconds
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import bind_tenant, is_unreachable
from hrvault.deadline import Deadline
from hrvault.documents.store import FileStore
from hrvault.errors import (
    ErrorCode,
    HrvaultError,
    RateLimited,
    StepUpRequired,
    TotpRequired,
    Unauthenticated,
)
from hrvault.http import outages
from hrvault.http.refusals import RequestRefused, response_for
from hrvault.http.request_json import request_object
from hrvault.models.current import refresh_current_state
from hrvault.permissions.partner_policy import load_partner_policy
from hrvault.permissions.policy import Policy
from hrvault.permissions.policy_cache import PolicyCache
from hrvault.permissions.relations import Relations
from hrvault.resolvers.context import RequestContext
from hrvault.resolvers.loaders import Loaders
from hrvault.resolvers.reader import Reader
from hrvault.schema.cookies import session_cookie_name
from hrvault.schema.errors import format_error, one_per_cause
from hrvault.schema.uploads import (
    parse_multipart_request,
    pending_upload,
    receive_upload,
    upload_limit_for,
)

logger = logging.getLogger(__name__)
_REQUEST: contextvars.ContextVar[Request] = contextvars.ContextVar("hrvault_request")


def _presented_token(request: Request) -> tuple[str | None, bool]:
    """The token and whether it came in the Authorization header (not a cookie)."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        return (token.strip() if scheme.lower() == "bearer" else ""), True
    return request.cookies.get(session_cookie_name(request)), False


def _rate_key(context: RequestContext) -> str:
    """Who a request counts against: its user, or its address before login."""
    if context.principal is not None:
        return f"principal:{context.principal.tenant_id}:{context.principal.actor_id}"
    return f"address:{client_network(context.client_ip)}"


class HrvaultGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        clock: Clock,
        sessions_factory: async_sessionmaker[AsyncSession],
        audit_keys: PublicAuditKey,
        throttle: CredentialThrottle,
        token_hasher: TokenHasher,
        seeds: SeedSealing,
        keyring: TenantKeyring,
        files: FileStore,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,  # read by parse_multipart below, not the library's
        )
        self._settings = settings
        self._clock = clock
        self._sessions = sessions_factory
        self._audit_keys = audit_keys
        self._throttle = throttle
        self._rate = RequestRateLimiter(settings.request_limit, clock)
        self._token_hasher = token_hasher
        self._partner_limit = RequestRateLimiter(Rate(settings.partner_rate_limit, 60), clock)
        self._seeds = seeds
        self._keyring = keyring
        self._files = files
        self._policies = PolicyCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refusals, ours or the library's, answer in GraphQL's error shape."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        token = _REQUEST.set(request)
        try:
            response = await self.run(request)
        except HTTPException as refusal:
            response = response_for(refusal)
        finally:
            _REQUEST.reset(token)
            upload = pending_upload(request)
            if upload is not None:
                upload.close()
        await response(scope, receive, send)

    async def parse_multipart(self, request: Any) -> dict[str, Any]:
        """A GraphQL multipart request, streamed: the file is not read here (see uploads)."""
        starlette_request = _REQUEST.get()
        _, params = parse_content_type(starlette_request.headers.get("content-type", ""))
        return await parse_multipart_request(
            starlette_request,
            params.get("boundary"),
            decode_json=self.decode_json,
            field_limit=self._settings.max_body_bytes,
        )

    def decode_json(self, data: str | bytes) -> object:
        """Bodies (and GET's ``variables``): one JSON object, read strictly."""
        return request_object(data)

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return RequestContext(
            request=request,
            response=response,
            settings=self._settings,
            clock=self._clock,
            request_id=request.state.request_id,
            sessions=self._sessions,
            audit_keys=self._audit_keys,
            throttle=self._throttle,
            token_hasher=self._token_hasher,
            seeds=self._seeds,
            keyring=self._keyring,
            files=self._files,
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
        wait = self._partner_limit.take(f"partner:{caller.principal.via_id}")
        if wait is not None:
            context.auth_failure = RateLimited(
                f"too many requests with this partner token; retry in {whole_seconds(wait)} s",
                retryAfterSeconds=whole_seconds(wait),
            )
            return
        context.principal = caller.principal
        context.audit.every_read = True
        context.loaders = Loaders(context.reader, caller.principal.tenant_id)
        context.policy = await load_partner_policy(context.db, caller.integration, context.today())

    async def _authenticate(self, context: RequestContext) -> None:
        token, from_header = _presented_token(context.request)
        if token is None:
            return
        if looks_like_partner_token(token):
            if from_header:
                await self._authenticate_partner(context, token)
            return
        if staff.is_staff_token(token):
            await self._authenticate_staff(context, token)
            return
        try:
            session = await sessions.authenticate(context.db, token, now=self._clock.now())
        except sessions.SessionEnded as ended:
            context.auth_failure = ended
            await record_session_end(context, ended)
            return
        except Unauthenticated as failure:
            context.auth_failure = failure
            return
        principal = context.principal = context.session = session.principal
        context.loaders = Loaders(context.reader, principal.tenant_id)
        if principal.stage is not SessionStage.FULL:
            context.policy = Policy([], [], Relations(viewer=None))  # enrol or log in first
            return
        context.policy = await self._policies.policy(context.db, session, context.today())

    async def _authenticate_on_live_connection(self, context: RequestContext) -> None:
        """Connections are not pinged before use, so a connection the server dropped
        unnoticed fails the request's first statement; nothing ran on it, so the
        request authenticates once more on a new one."""
        try:
            await self._authenticate(context)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            await context.db.rollback()
            await self._authenticate(context)

    def _count_request(self, context: RequestContext) -> None:
        wait = self._rate.take(_rate_key(context))
        if wait is not None:
            seconds = whole_seconds(wait)
            raise RequestRefused(
                429,
                ErrorCode.RATE_LIMITED,
                f"too many requests; try again in {seconds} seconds",
                retry_after=seconds,
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
        context.loaders = Loaders(context.reader, caller.tenant_id)
        await refresh_current_state(context.db, caller.tenant_id, context.today())
        context.policy = support.grant_policy(grant)
        context.audit.every_read = True

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Run the operation inside the request's transaction; errors in a mutation undo it.

        One deadline covers all of it, from authentication to the connection's return to
        the pool (``hrvault.deadline``). Past it, or with the database out of reach, the
        answer is a 503 with ``Retry-After``, and the connections the request held are
        discarded. An upload's file is received between authentication and the operation
        with the clock stopped (it has its own timeout) and outside any transaction.
        """
        context: RequestContext = kwargs["context"]
        timeout = self._settings.graphql.timeout_seconds
        committed = committing = False
        try:
            async with (
                Deadline(timeout) as deadline,
                self._sessions() as db,  # closing rolls back whatever was not committed
            ):
                context.db = db
                context.reader = Reader(db)
                await self._authenticate_on_live_connection(context)
                self._count_request(context)
                upload_limit = await upload_limit_for(context)
                if upload_limit is not None:
                    with deadline.paused():
                        await receive_upload(context, upload_limit)
                    if context.principal is not None:
                        await bind_tenant(db, context.principal.tenant_id)
                result = await super().execute_single(*args, **kwargs)
                self._refuse_if_unreachable(result)
                if result.errors and context.is_mutation:
                    await db.rollback()
                    await record_refusals(context)
                else:
                    committing = context.is_mutation
                    committed = await self._commit(db, result)
        except TimeoutError:
            raise outages.timed_out(timeout, _outcome(committing)) from None
        except HTTPException:
            raise
        except Exception as exc:  # masked and logged with the request id by format_error
            if is_unreachable(exc):
                raise outages.unreachable(timeout, _outcome(committing)) from exc
            return ExecutionResult(
                data=None, errors=[GraphQLError("transaction failed", original_error=exc)]
            )
        finally:
            await _run_hooks(context.after_commit if committed else context.after_rollback)
            context.release()
        return result

    def _refuse_if_unreachable(self, result: ExecutionResult) -> None:
        """A resolver that lost the database answers for the whole request: a 503, not a
        masked internal error at its path."""
        for error in result.errors or ():
            if error.original_error is not None and is_unreachable(error.original_error):
                raise outages.unreachable(
                    self._settings.graphql.timeout_seconds
                ) from error.original_error

    @staticmethod
    async def _commit(db: AsyncSession, result: ExecutionResult) -> bool:
        """Commit a successful mutation, or what a query wrote (its last-seen time).

        When one root field of a query fails in a way that voids the whole result,
        graphql-core cancels its siblings, possibly in the middle of a statement, and
        the transaction is broken. The result already carries the error that says why,
        and a query writes nothing that must survive, so it is rolled back instead.
        """
        try:
            await db.commit()
        except SQLAlchemyError:
            if not result.errors:
                raise
            await db.rollback()
            return False
        return True

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            request_id = request.state.request_id
            production = self._settings.is_production
            response["errors"] = [
                format_error(e, request_id, production=production)
                for e in one_per_cause(result.errors)
            ]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def _outcome(committing: bool) -> str:
    return outages.COMMIT_UNKNOWN if committing else outages.NOTHING_KEPT


async def _run_hooks(hooks: list[Callable[[], None]]) -> None:
    """Work outside the database after the transaction ended; a failure is only logged
    (the transaction's outcome stands either way)."""
    for hook in hooks:
        try:
            await asyncio.to_thread(hook)
        except Exception:
            logger.exception("after-transaction work failed")
    hooks.clear()
