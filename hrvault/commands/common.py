"""What every command shares: the JSON contract, transactions, keyrings, tenants."""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hrvault.config import Settings
from hrvault.crypto.keyring import TenantKeyring
from hrvault.crypto.local_provider import (
    LocalKeyProvider,
    load_key_provider,
)
from hrvault.db import DatabaseUrls, create_engine, resolve_database, session_factory
from hrvault.tenancy import resolve_tenant

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, default=str) if args.json else text, flush=True)


def in_transaction(urls: DatabaseUrls, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction as the application role (row-level security applies)."""

    async def run() -> T:
        engine = create_engine(urls.app, pool_size=1)
        try:
            async with session_factory(engine)() as db:
                result = await work(db)
                await db.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def with_keys(
    settings: Settings,
    urls: DatabaseUrls,
    work: Callable[[async_sessionmaker[AsyncSession], TenantKeyring], Awaitable[T]],
    provider: LocalKeyProvider | None = None,
    *,
    as_owner: bool = False,
) -> T:
    """Run ``work`` with a keyring whose master key was checked against the database first.

    ``as_owner`` connects as the owner role, for the few commands that change what the
    application role may not (a tenant's erasure).
    """
    provider = provider or load_key_provider(settings)

    async def run() -> T:
        engine = create_engine(urls.owner if as_owner else urls.app, pool_size=2)
        try:
            sessions = session_factory(engine)
            keyring = TenantKeyring.from_settings(settings, provider, sessions)
            async with sessions() as db:
                await keyring.verify(db)
                await db.commit()
            return await work(sessions, keyring)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def in_keyed_transaction(
    settings: Settings,
    urls: DatabaseUrls,
    work: Callable[[AsyncSession, TenantKeyring], Awaitable[T]],
) -> T:
    async def run(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> T:
        async with sessions() as db:
            result = await work(db, keyring)
            await db.commit()
            return result

    return with_keys(settings, urls, run)


def with_owner_engine(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    urls = resolve_database(settings)

    async def run() -> T:
        engine = create_engine(urls.owner, pool_size=1)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def tenant_id_of(settings: Settings, id_or_slug: str) -> uuid.UUID:
    urls = resolve_database(settings)
    return in_transaction(urls, lambda db: resolve_tenant(db, id_or_slug)).id


async def nothing(sessions: async_sessionmaker[AsyncSession], keyring: TenantKeyring) -> None:
    """The work of a command that only needs the master key check ``_with_keys`` makes."""
