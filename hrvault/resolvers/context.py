"""What every resolver receives as ``info.context``: one principal, one transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from hrvault.audit.collector import AuditTrail
from hrvault.audit.records import Origin
from hrvault.audit.signing import PublicAuditKey
from hrvault.auth.partner_tokens import TokenHasher
from hrvault.auth.principal import Principal, SessionStage
from hrvault.auth.seed_sealing import SeedSealing
from hrvault.auth.staff import StaffCaller
from hrvault.auth.throttle import CredentialThrottle
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.keyring import TenantKeyring
from hrvault.documents.store import FileStore
from hrvault.errors import (
    HrvaultError,
    TotpEnrollmentRequired,
    TotpRequired,
    Unauthenticated,
)
from hrvault.permissions.delegation import Act, Powers, require_delegation
from hrvault.resolvers.sealed import SealedValues

if TYPE_CHECKING:
    from hrvault.permissions.policy import Policy
    from hrvault.resolvers.loaders import Loaders
    from hrvault.resolvers.reader import Reader


@dataclass
class RequestContext:
    request: Request
    response: Response
    settings: Settings
    clock: Clock
    request_id: str
    sessions: async_sessionmaker[AsyncSession]
    """For the few records that must outlive a rolled-back request (refused logins)."""
    audit_keys: PublicAuditKey
    throttle: CredentialThrottle
    token_hasher: TokenHasher
    seeds: SeedSealing
    keyring: TenantKeyring
    files: FileStore
    db: AsyncSession = field(init=False)
    reader: Reader = field(init=False)
    loaders: Loaders = field(init=False)
    policy: Policy = field(init=False)
    principal: Principal | None = None
    """Set only for a session that may reach tenant data (a user, or staff under a grant)."""
    session: Principal | None = None
    """The user's session at any stage (pending TOTP, enrol only, full)."""
    staff: StaffCaller | None = None
    auth_failure: HrvaultError | None = None
    """Why the presented credential was refused (unauthenticated, or rate limited)."""
    is_mutation: bool = False
    audit: AuditTrail = field(default_factory=AuditTrail)
    restricted: list[list[str | int]] = field(default_factory=list)
    """Response paths withheld by a permission: shown to the client as ``restricted``."""
    truncated: list[list[str | int]] = field(default_factory=list)
    """Lists cut at their bound (``first:`` or a cap): shown to the client as ``truncated``."""
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    """Work outside the database once the request's transaction committed (removing the
    stored body of a deleted document). Synchronous; run in a worker thread."""
    after_rollback: list[Callable[[], None]] = field(default_factory=list)
    """Undoing work outside the database when the transaction rolls back (removing a body
    stored by an upload that did not commit)."""
    delegation_checks: int = 0
    """How often this request consulted the delegation rule: a mutation declared as
    delegating that never did fails (``hrvault.schema.delegating``)."""
    _cipher: TenantCipher | None = field(default=None, init=False, repr=False)

    @property
    def cipher(self) -> TenantCipher:
        """The request's cipher for its tenant (one per transaction)."""
        if self._cipher is None:
            self._cipher = TenantCipher(self.keyring, self.db, self.tenant_id)
        return self._cipher

    def require_delegation(self, wanted: Powers, act: Act, operation: str) -> None:
        """The delegation rule for the caller's policy; Forbidden with its reason if refused."""
        self.delegation_checks += 1
        require_delegation(self.policy, wanted, act, operation)

    def release(self) -> None:
        """Let go of what the request loaded the moment it ends. graphql-core's execution
        context and the loaders sit in reference cycles that reach this context, so what
        the loaders cached (rows, ORM states, futures) and the policy's memos would
        otherwise wait for the cyclic collector, whose cost grows with their number."""
        loaders = self.__dict__.pop("loaders", None)
        for loader in vars(loaders).values() if loaders is not None else ():
            if isinstance(loader, DataLoader):
                loader.clear_all()
                loader.batch = None
        self.__dict__.pop("policy", None)

    def restrict(self, path: list[str | int]) -> None:
        self.restricted.append(path)

    def truncate(self, path: list[str | int]) -> None:
        self.truncated.append(path)

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise self.auth_failure or Unauthenticated("authentication required")
        if self.principal.stage is SessionStage.TOTP_PENDING:
            raise TotpRequired("complete the login with completeLogin(code)")
        if self.principal.stage is SessionStage.ENROL_ONLY:
            raise TotpEnrollmentRequired(
                "your role requires TOTP: enrol with startTotpEnrollment first"
            )
        return self.principal

    def require_session(self) -> Principal | StaffCaller:
        """The caller's own session at any stage: for logging in, enrolling, stepping up."""
        caller = self.staff or self.session
        if caller is None:
            raise Unauthenticated("authentication required")
        return caller

    def require_staff_session(self) -> StaffCaller:
        """A support staff session at any stage, with or without a grant (logging out)."""
        if self.staff is None:
            raise self.auth_failure or Unauthenticated("this needs a support staff session")
        return self.staff

    def require_staff(self) -> StaffCaller:
        if self.staff is None:
            raise Unauthenticated("this needs a support staff session")
        if self.staff.stage is not SessionStage.FULL:
            raise TotpRequired("complete the staff login with a TOTP code first")
        return self.staff

    @functools.cached_property
    def sealed(self) -> SealedValues:
        """The tenant's sealed values, opened and sealed in this request's transaction."""
        return SealedValues(self.cipher, self.reader)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.require_principal().tenant_id

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.require_principal().actor_id

    def today(self) -> date:
        return self.clock.now().date()

    def origin(self, operation: str | None = None) -> Origin:
        return Origin(self.request_id, self.client_ip, self.user_agent, operation)

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")
