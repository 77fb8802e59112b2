"""What every resolver receives as ``info.context``: one principal, one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from hrvault.auth.principal import Principal
from hrvault.auth.throttle import CredentialThrottle
from hrvault.clock import Clock
from hrvault.config import Settings
from hrvault.errors import Unauthenticated

if TYPE_CHECKING:
    from hrvault.resolvers.loaders import Loaders
    from hrvault.resolvers.reader import Reader


@dataclass
class RequestContext:
    request: Request
    response: Response
    settings: Settings
    clock: Clock
    request_id: str
    throttle: CredentialThrottle
    db: AsyncSession = field(init=False)
    reader: Reader = field(init=False)
    loaders: Loaders = field(init=False)
    principal: Principal | None = None
    auth_failure: Unauthenticated | None = None
    is_mutation: bool = False

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise self.auth_failure or Unauthenticated("authentication required")
        return self.principal

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.require_principal().tenant_id

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.require_principal().actor_id

    def today(self) -> date:
        return self.clock.now().date()

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    @property
    def user_agent(self) -> str | None:
        return self.request.headers.get("user-agent")
