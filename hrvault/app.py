"""The Starlette application: routes, middleware, the database pool, the keyring and the
background duties.

The app refuses to start without a usable master key: ``create_app`` raises
``MasterKeyError`` when the key is missing or exposed, and start-up fails when the key is
not the one the database's keys were wrapped with (if the database is down at start-up,
the keyring makes that check before its first use). The keyring is ``app.state.keyring``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hrvault.audit.checkpoints import checkpoint_periodically
from hrvault.audit.signing import load_or_create_signer
from hrvault.auth.partner_tokens import load_or_create_token_hasher
from hrvault.auth.seed_sealing import SeedSealing, load_or_create_sealer
from hrvault.auth.throttle import CredentialThrottle, credential_limits
from hrvault.clock import Clock, SystemClock
from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import load_key_provider
from hrvault.db import DatabaseUrls, create_engine, session_factory
from hrvault.deadline import Deadline
from hrvault.documents.download import DownloadEndpoint
from hrvault.documents.store import FileStore, file_store
from hrvault.http.body_limit import BodySizeLimitMiddleware
from hrvault.http.body_timeout import BodyTimeoutMiddleware
from hrvault.http.cors import CORSAllowListMiddleware
from hrvault.http.encoding import RequestEncodingMiddleware
from hrvault.http.health import healthz, readyz
from hrvault.http.last_resort import LastResortMiddleware
from hrvault.http.refusals import routing_refusal
from hrvault.http.request_id import RequestIdMiddleware
from hrvault.http.security_headers import SecurityHeadersMiddleware
from hrvault.models.tenant import MAX_DOCUMENT_BYTES_LIMIT
from hrvault.partner_sweep import sweep_periodically
from hrvault.placement_sweep import refresh_periodically
from hrvault.schema.build import build_schema
from hrvault.schema.uploads import MULTIPART_ALLOWANCE
from hrvault.schema.view import HrvaultGraphQL

logger = logging.getLogger(__name__)
THROTTLE_POOL_SIZE = 2


def create_app(
    settings: Settings,
    *,
    database: DatabaseUrls | None = None,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
    files: FileStore | None = None,
) -> Starlette:
    """Build the ASGI app. Pass ``engine`` to share a pool (tests), else ``database`` URLs;
    with URLs the app also signs audit checkpoints and revokes idle partner tokens
    periodically (as the owner role). Documents go to ``files``, by default a
    ``LocalFileStore`` in ``settings.files_path``."""
    provider = load_key_provider(settings)
    owns_engine = engine is None
    if engine is not None:
        app_engine = engine
    elif database is not None:
        app_engine = create_engine(database.app, pool_size=settings.db_pool_size)
    else:
        raise ValueError("create_app needs database URLs or an engine")
    # The keyring's short bookkeeping transactions get a pool of their own when we own one,
    # so they never wait for a connection that a request is holding.
    key_engine = create_engine(database.app, pool_size=1) if database and owns_engine else None
    keyring = TenantKeyring.from_settings(
        settings, provider, session_factory(key_engine or app_engine)
    )
    clock = clock or SystemClock()
    files = files or file_store(settings)
    signer = load_or_create_signer(settings.signing_key_path)
    # Credential attempts are counted on connections of their own: a request that holds
    # its connection while it waits for one to count on can then never starve the pool
    # it is waiting on.
    throttle_engine = create_engine(app_engine.url, pool_size=THROTTLE_POOL_SIZE)
    throttle = CredentialThrottle(
        session_factory(throttle_engine), clock, credential_limits(settings)
    )
    graphql = HrvaultGraphQL(
        build_schema(settings),
        settings=settings,
        clock=clock,
        sessions_factory=session_factory(app_engine),
        audit_keys=signer.public(),
        throttle=throttle,
        token_hasher=load_or_create_token_hasher(settings.token_key_path),
        seeds=SeedSealing(load_or_create_sealer(settings.seed_key_path), keyring),
        keyring=keyring,
        files=files,
    )
    download = DownloadEndpoint(
        sessions=session_factory(app_engine),
        keyring=keyring,
        files=files,
        clock=clock,
        timeout_seconds=settings.graphql.timeout_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.engine = app_engine
        app.state.keyring = keyring
        app.state.files = files
        duties: list[asyncio.Task[None]] = []
        owner_engine = None
        if database is not None:
            owner_engine = create_engine(database.owner, pool_size=1)
        if owner_engine is not None and settings.partner_sweep_interval > 0:
            duties.append(
                asyncio.create_task(
                    sweep_periodically(owner_engine, clock, settings.partner_sweep_interval)
                )
            )
        if owner_engine is not None and settings.placement_sweep_interval > 0:
            duties.append(
                asyncio.create_task(
                    refresh_periodically(owner_engine, clock, settings.placement_sweep_interval)
                )
            )
        if owner_engine is not None and settings.audit_checkpoint_interval > 0:
            duties.append(
                asyncio.create_task(
                    checkpoint_periodically(
                        owner_engine, signer, clock, settings.audit_checkpoint_interval
                    )
                )
            )
        try:
            try:
                async with (
                    Deadline(settings.graphql.timeout_seconds),
                    session_factory(app_engine)() as db,
                ):
                    await keyring.verify(db)
                    await db.commit()
            # Unreachable, or stalled past the deadline (a TimeoutError): the keyring checks
            # at its first use instead.
            except (OSError, DBAPIError) as exc:
                logger.warning("master key not checked at start-up, database unreachable: %s", exc)
            yield
        finally:
            for duty in duties:
                duty.cancel()
            await asyncio.gather(*duties, return_exceptions=True)
            for extra in (owner_engine, key_engine, throttle_engine):
                if extra is not None:
                    await extra.dispose()
            if owns_engine:
                await app_engine.dispose()

    return Starlette(
        routes=[
            # Every method reaches these two, which answer those they do not take.
            Route("/graphql", graphql, methods=None),
            Route("/files/{token}", download, methods=None),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        middleware=_middleware(settings),
        exception_handlers={HTTPException: routing_refusal},
        lifespan=lifespan,
    )


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first. Proxy headers come first so that everything after sees the
    client's own address and scheme (HSTS, ``__Host-`` cookies, throttling by address).
    The last resort sits inside the request id and the security headers, so that its
    answer carries both."""
    stack = []
    if settings.trusted_proxies:
        # X-Forwarded-Proto/For are believed only from these addresses; from anyone
        # else they are ignored, so a client cannot claim HTTPS or another address.
        stack.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
        )
    stack += [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware),
        Middleware(LastResortMiddleware),
    ]
    if settings.cors_origins:
        stack.append(Middleware(CORSAllowListMiddleware, origins=settings.cors_origins))
    stack.append(Middleware(RequestEncodingMiddleware))
    stack.append(
        Middleware(
            BodyTimeoutMiddleware,
            seconds=settings.body_timeout_seconds,
            upload_seconds=settings.upload_timeout_seconds,
        )
    )
    stack.append(
        Middleware(
            BodySizeLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            # Uploads: up to the most any tenant may allow (with its two small fields); the
            # view holds each upload to its own tenant's limit before and while it arrives.
            upload_max_bytes=MAX_DOCUMENT_BYTES_LIMIT
            + 2 * settings.max_body_bytes
            + MULTIPART_ALLOWANCE,
        )
    )
    return stack
