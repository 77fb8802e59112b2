"""Test helpers: a GraphQL client over HTTP, tenants with people, a statement counter."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hrvault.auth.staff import create_staff
from hrvault.auth.totp import STEP_SECONDS, code_at, step_of
from hrvault.auth.users import create_user
from hrvault.clock import ManualClock
from hrvault.config import Secret
from hrvault.crypto.keyring import TenantKeyring
from hrvault.db import bind_tenant, session_factory
from hrvault.models import (
    AbsenceType,
    Department,
    Employee,
    EmployeeStatus,
    Employment,
    EmploymentType,
    JobAssignment,
    Office,
    ReportingLine,
    Role,
)
from hrvault.models.base import Tracked
from hrvault.permissions.membership import assign_role, find_role
from hrvault.tenancy import create_tenant

PASSWORD = "correct horse battery staple"


def random_address() -> tuple[str, int]:
    """A client address of its own: credential attempts are counted per address in the
    shared database, so tests that fail logins must not share one."""
    octets = [secrets.randbelow(256), secrets.randbelow(256), secrets.randbelow(254) + 1]
    return (f"10.{octets[0]}.{octets[1]}.{octets[2]}", 50000)


class Api:
    """Posts GraphQL documents to the app over HTTP, as a browser or integration would.

    It also plays the user's authenticator app: a login that must enrol TOTP enrols (the
    seed is kept per account), and a login that needs a code gets one. Codes are taken
    from the manual clock's steps, each step at most once, moving the clock on by 30 s
    only when the allowed drift is used up (never sleeping).
    """

    def __init__(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        self.client = client
        self.clock = clock
        self.devices: dict[str, Secret] = {}
        self._last_step: dict[str, int] = {}

    def from_address(self, client_ip: str) -> Api:
        """The same app and authenticator, called from another client address (throttling
        per address must not leak from one test into the next)."""
        transport = self.client._transport
        if not isinstance(transport, httpx.ASGITransport):
            raise TypeError("an in-process app is needed")
        other = Api(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=transport.app, client=(client_ip, 4321)),
                base_url=str(self.client.base_url),
            ),
            self.clock,
        )
        other.devices, other._last_step = self.devices, self._last_step
        return other

    def code(self, account: str) -> str:
        """The next unused code of the account's authenticator."""
        last = self._last_step.get(account, -1)
        while last > step_of(self.clock.now()):
            self.clock.advance(timedelta(seconds=STEP_SECONDS))
        step = max(step_of(self.clock.now()), last + 1)
        self._last_step[account] = step
        return code_at(self.devices[account], datetime.fromtimestamp(step * STEP_SECONDS, UTC))

    async def enrol(self, token: str, account: str) -> dict[str, Any]:
        """Enrol TOTP on this session; returns ``confirmTotpEnrollment`` (token, codes)."""
        started = await self.data("mutation { startTotpEnrollment { otpauthUri } }", token=token)
        uri = started["startTotpEnrollment"]["otpauthUri"]
        self.devices[account] = Secret(parse_qs(urlparse(uri).query)["secret"][0])
        self._last_step.pop(account, None)
        confirmed = await self.data(
            "mutation($c: String!) { confirmTotpEnrollment(code: $c) { token recoveryCodes } }",
            {"c": self.code(account)},
            token=token,
        )
        result: dict[str, Any] = confirmed["confirmTotpEnrollment"]
        return result

    async def step_up(self, token: str, account: str) -> str:
        data = await self.data(
            "mutation($c: String!) { verifyStepUp(code: $c) { token } }",
            {"c": self.code(account)},
            token=token,
        )
        renewed: str = data["verifyStepUp"]["token"]
        return renewed

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, token=token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without any error."""
        body = await self.gql(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def upload(
        self,
        employee_id: str | uuid.UUID,
        category: str,
        content: bytes,
        *,
        token: str | None,
        filename: str = "document.pdf",
        content_type: str = "application/pdf",
        headers: dict[str, str] | None = None,
        query: str | None = None,
    ) -> httpx.Response:
        """``uploadDocument`` as a GraphQL multipart request (with the anti-CSRF header)."""
        operations = {
            "query": query or UPLOAD,
            "variables": {"e": str(employee_id), "c": category, "f": None},
        }
        sent = {"x-requested-with": "hrvault-tests"}
        if token:
            sent["authorization"] = f"Bearer {token}"
        return await self.client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
            files={"0": (filename, content, content_type)},
            headers={**sent, **(headers or {})},
        )

    async def login(self, slug: str, email: str, password: str = PASSWORD) -> str:
        """A complete session: enrols or gives a code when the login asks for it."""
        data = await self.data(
            "mutation($t: String!, $e: String!, $p: String!) {"
            " login(tenant: $t, email: $e, password: $p) { token nextStep } }",
            {"t": slug, "e": email, "p": password},
        )
        token: str = data["login"]["token"]
        account = f"{slug}/{email}"
        if data["login"]["nextStep"] == "ENROL_ONLY":
            renewed: str = (await self.enrol(token, account))["token"]
            return renewed
        if data["login"]["nextStep"] == "TOTP_PENDING":
            done = await self.data(
                "mutation($c: String!) { completeLogin(code: $c) { token } }",
                {"c": self.code(account)},
                token=token,
            )
            completed: str = done["completeLogin"]["token"]
            return completed
        return token


UPLOAD = (
    "mutation($e: ID!, $c: String!, $f: Upload!) { uploadDocument(employeeId: $e, category: $c,"
    " file: $f) { id contentType sizeBytes sha256 filename category { code } } }"
)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@dataclass(frozen=True)
class Login:
    token: str
    user_id: str
    email: str


@dataclass
class TenantHandle:
    id: uuid.UUID
    slug: str
    email: str
    token: str
    employees: list[uuid.UUID]
    departments: dict[str, uuid.UUID]
    offices: dict[str, uuid.UUID]
    absence_types: dict[str, uuid.UUID]
    user_id: uuid.UUID
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def manager(self) -> uuid.UUID:
        return self.employees[0]


class TenantFactory:
    """Creates a tenant with an org (departments, offices, people) and a logged-in user."""

    def __init__(
        self, engine: AsyncEngine, clock: ManualClock, api: Api, keyring: TenantKeyring
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = session_factory(engine)
        self._api = api
        self._keyring = keyring

    async def create(
        self,
        *,
        employees: int = 4,
        name: str | None = None,
        roles: tuple[str, ...] = ("owner",),
        require_totp: bool = False,
    ) -> TenantHandle:
        """A tenant whose user (linked to the first employee) holds ``roles``.

        Tests about other things turn the default "Owner and HR Admin need TOTP" off
        unless ``require_totp``; ``step_up`` enrols when a test needs sensitive operations.
        """
        slug = f"t-{secrets.token_hex(5)}"
        now = self.clock.now()
        start = now.date() - timedelta(days=365)
        async with self._sessions() as db:
            tenant = await create_tenant(
                db, name=name or slug, slug=slug, now=now, keyring=self._keyring
            )

            def add(row: Tracked) -> None:
                row.tenant_id = tenant.id  # type: ignore[attr-defined]
                row.stamp_created(None, now)
                db.add(row)

            root = Department(id=uuid.uuid4(), name="Company")
            add(root)
            engineering = Department(id=uuid.uuid4(), name="Engineering", parent_id=root.id)
            add(engineering)
            office = Office(
                id=uuid.uuid4(), name="HQ", country_code="SE", timezone="Europe/Stockholm"
            )
            add(office)
            await db.flush()
            people = []
            for index in range(employees):
                person = Employee(
                    id=uuid.uuid4(),
                    employee_number=f"N{index:05d}",
                    first_name=f"First{index:05d}",
                    last_name=f"Last{index:05d}",
                    work_email=f"person{index}@{slug}.test",
                    status=EmployeeStatus.ACTIVE,
                )
                add(person)
                people.append(person.id)
            await db.flush()
            for index, person_id in enumerate(people):
                add(
                    JobAssignment(
                        employee_id=person_id,
                        title="Lead" if index == 0 else "Engineer",
                        department_id=root.id if index == 0 else engineering.id,
                        office_id=office.id,
                        effective_from=start,
                    )
                )
                add(
                    ReportingLine(
                        employee_id=person_id,
                        manager_id=None if index == 0 else people[0],
                        effective_from=start,
                    )
                )
                add(
                    Employment(
                        employee_id=person_id,
                        employment_type=EmploymentType.PERMANENT,
                        start_date=start,
                        fte_percent=Decimal("100"),
                        legal_entity=f"{slug} AB",
                        country_code="SE",
                    )
                )
            email = f"admin@{slug}.test"
            user = await create_user(
                db,
                tenant_id=tenant.id,
                email=email,
                password=Secret(PASSWORD),
                employee_id=people[0] if people else None,
                actor_id=None,
                now=now,
            )
            for role_name in roles:
                role = await find_role(db, tenant.id, role_name)
                await assign_role(db, tenant.id, user.id, role.id, actor_id=None, now=now)
            if not require_totp:
                await db.execute(
                    update(Role).where(Role.tenant_id == tenant.id).values(requires_totp=False)
                )
            types = await db.scalars(select(AbsenceType).where(AbsenceType.tenant_id == tenant.id))
            absence_types = {t.code: t.id for t in types}
            await db.commit()
        token = await self._api.login(slug, email)
        return TenantHandle(
            id=tenant.id,
            slug=slug,
            email=email,
            token=token,
            employees=people,
            departments={"root": root.id, "engineering": engineering.id},
            offices={"hq": office.id},
            absence_types=absence_types,
            user_id=user.id,
        )

    async def step_up(self, tenant: TenantHandle) -> None:
        """Make the tenant's session fresh for sensitive operations (enrolling if needed)."""
        account = f"{tenant.slug}/{tenant.email}"
        if account in self._api.devices:
            tenant.token = await self._api.step_up(tenant.token, account)
        else:
            tenant.token = (await self._api.enrol(tenant.token, account))["token"]

    async def add_user(
        self,
        tenant: TenantHandle,
        employee_id: uuid.UUID | None,
        roles: tuple[str, ...],
        *,
        step_up: bool = False,
        log_in: bool = True,
    ) -> Login:
        """Another login of the tenant holding ``roles``, logged in (and enrolled in TOTP,
        so freshly stepped up, with ``step_up``)."""
        email = f"user-{secrets.token_hex(4)}@{tenant.slug}.test"
        now = self.clock.now()
        async with self._sessions() as db:
            await bind_tenant(db, tenant.id)
            user = await create_user(
                db,
                tenant_id=tenant.id,
                email=email,
                password=Secret(PASSWORD),
                employee_id=employee_id,
                actor_id=None,
                now=now,
            )
            for role_name in roles:
                role = await find_role(db, tenant.id, role_name)
                await assign_role(db, tenant.id, user.id, role.id, actor_id=None, now=now)
            await db.commit()
        if not log_in:
            return Login("", str(user.id), email)
        token = await self._api.login(tenant.slug, email)
        if step_up:
            token = (await self._api.enrol(token, f"{tenant.slug}/{email}"))["token"]
        return Login(token, str(user.id), email)


async def build_org(api: Api, owner: TenantHandle) -> dict[str, str]:
    """viewer (dept Alpha, reports to top), direct report and indirect report (dept Beta),
    a department peer (Alpha, reports to top), an unrelated person (Gamma)."""
    token = owner.token
    root = str(owner.departments["root"])
    departments = {}
    for name in ("Alpha", "Beta", "Gamma"):
        made = await api.data(
            "mutation($n: String!, $p: ID!) { createDepartment(input: {name: $n, parent: $p}) { id } }",
            {"n": name, "p": root},
            token=token,
        )
        departments[name] = made["createDepartment"]["id"]
    people = {}
    for index, name in enumerate(("top", "self", "direct", "indirect", "department", "unrelated")):
        made = await api.data(
            "mutation($n: String!, $f: String!) { createEmployee(input: {employeeNumber: $n,"
            ' firstName: $f, lastName: "Matrix"}) { id } }',
            {"n": f"M{index}", "f": name.title()},
            token=token,
        )
        people[name] = made["createEmployee"]["id"]
    since = (date.today() - timedelta(days=400)).isoformat()
    placement = {
        "top": ("Gamma", None),
        "self": ("Alpha", "top"),
        "direct": ("Beta", "self"),
        "indirect": ("Beta", "direct"),
        "department": ("Alpha", "top"),
        "unrelated": ("Gamma", "top"),
    }
    for person, (department, manager) in placement.items():
        await api.data(
            "mutation($e: ID!, $d: ID!, $s: Date!) { createJobAssignment(input: {employee: $e,"
            ' title: "Matrix", effectiveFrom: $s, department: $d}) { id } }',
            {"e": people[person], "d": departments[department], "s": since},
            token=token,
        )
        if manager:
            await api.data(
                "mutation($e: ID!, $m: ID!, $s: Date!) { createReportingLine(input: {employee: $e,"
                " manager: $m, effectiveFrom: $s}) { id } }",
                {"e": people[person], "m": people[manager], "s": since},
                token=token,
            )
        await api.data(
            "mutation($e: ID!, $s: Date!) { createEmployment(input: {employee: $e,"
            ' employmentType: PERMANENT, startDate: $s, ftePercent: "100",'
            ' legalEntity: "Matrix AB", countryCode: "SE"}) { id } }',
            {"e": people[person], "s": since},
            token=token,
        )
    return people


class StatementCounter:
    """Counts the SQL statements the application role sends while it is active."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@dataclass(frozen=True)
class StaffLogin:
    token: str
    staff_id: uuid.UUID
    account: str
    email: str
    recovery_codes: tuple[str, ...]


async def staff_session(api: Api, tenants: TenantFactory) -> StaffLogin:
    """A new support staff member (as ``hrvault staff create`` makes one), logged in with
    TOTP enrolled at this first login, so freshly stepped up."""
    email = f"staff-{secrets.token_hex(4)}@vendor.test"
    async with session_factory(tenants.engine)() as db:
        staff = await create_staff(
            db, email=email, name="Sam Support", password=Secret(PASSWORD), now=tenants.clock.now()
        )
        await db.commit()
    data = await api.data(
        "mutation($e: String!, $p: String!) { staffLogin(email: $e, password: $p)"
        " { token nextStep } }",
        {"e": email, "p": PASSWORD},
    )
    assert data["staffLogin"]["nextStep"] == "ENROL_ONLY"
    account = f"staff/{email}"
    enrolled = await api.enrol(data["staffLogin"]["token"], account)
    codes = tuple(enrolled["recoveryCodes"])
    return StaffLogin(enrolled["token"], staff.id, account, email, codes)
