"""Demo data: two companies with departments, offices, managers and one login per persona.

Everything is generated from a fixed seed, so every demo shows the same people. The demo
password is not a secret: it only ever protects these made-up companies.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.audit.records import Change, Entry
from hrvault.audit.system import ADMIN, record_system, user_created
from hrvault.auth.sessions import find_tenant_by_slug
from hrvault.auth.users import create_user
from hrvault.config import Secret
from hrvault.crypto.cipher import TenantCipher
from hrvault.crypto.keyring import TenantKeyring
from hrvault.demo_details import seal_sick_notes, seed_sensitive_details
from hrvault.models import (
    Absence,
    AbsenceStatus,
    AbsenceType,
    Department,
    Employee,
    EmployeeStatus,
    Employment,
    EmploymentType,
    JobAssignment,
    Office,
    ReportingLine,
)
from hrvault.models.base import Tracked
from hrvault.permissions.membership import assign_role, find_role
from hrvault.tenancy import create_tenant

DEMO_PASSWORD = "hrvault-demo-2026"  # noqa: S105 - printed to every demo user
# Persona -> built-in role. Everyone with an employee record also holds Employee.
PERSONA_ROLES = {
    "owner": "owner",
    "hr": "hr_admin",
    "manager": "manager",
    "teamlead": "manager",
    "employee": "employee",
    "payroll": "payroll",
    "auditor": "auditor",
}
PERSONAS = tuple(PERSONA_ROLES)


@dataclass(frozen=True)
class CompanyProfile:
    name: str
    slug: str
    domain: str
    country: str
    legal_entity: str
    phone_prefix: str
    offices: tuple[tuple[str, str, str], ...]  # name, address, timezone
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


ACME = CompanyProfile(
    name="Acme AB",
    slug="acme",
    domain="acme.example",
    country="SE",
    legal_entity="Acme AB (556000-0000)",
    phone_prefix="+46",
    offices=(
        ("Stockholm", "Sveavägen 1, 111 57 Stockholm", "Europe/Stockholm"),
        ("Göteborg", "Avenyn 10, 411 36 Göteborg", "Europe/Stockholm"),
    ),
    first_names=(
        "Anna",
        "Erik",
        "Maria",
        "Lars",
        "Karin",
        "Johan",
        "Sara",
        "Anders",
        "Emma",
        "Per",
        "Elin",
        "Nils",
        "Ida",
        "Olof",
        "Maja",
        "Gustav",
        "Linnea",
        "Oskar",
        "Frida",
        "Axel",
    ),
    last_names=(
        "Andersson",
        "Johansson",
        "Karlsson",
        "Nilsson",
        "Eriksson",
        "Larsson",
        "Olsson",
        "Persson",
        "Svensson",
        "Gustafsson",
        "Pettersson",
        "Jonsson",
        "Lindberg",
        "Berg",
    ),
)

GLOBEX = CompanyProfile(
    name="Globex GmbH",
    slug="globex",
    domain="globex.example",
    country="DE",
    legal_entity="Globex GmbH (HRB 000000)",
    phone_prefix="+49",
    offices=(
        ("Berlin", "Friedrichstraße 100, 10117 Berlin", "Europe/Berlin"),
        ("München", "Leopoldstraße 50, 80802 München", "Europe/Berlin"),
    ),
    first_names=(
        "Lukas",
        "Sophie",
        "Jonas",
        "Marie",
        "Leon",
        "Hannah",
        "Felix",
        "Lena",
        "Paul",
        "Laura",
        "Jan",
        "Lea",
        "Tim",
        "Julia",
        "Max",
        "Katharina",
        "Finn",
        "Clara",
        "Moritz",
        "Nina",
    ),
    last_names=(
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
    ),
)

# (department, parent, head persona, team size, titles)
_DEPARTMENTS = (
    ("Management", None, "owner", 1, ("Chief Executive Officer",)),
    ("Engineering", "Management", "manager", 3, ("Software Engineer", "Engineering Manager")),
    ("Platform", "Engineering", "teamlead", 8, ("Backend Engineer", "Site Reliability Engineer")),
    ("Product", "Engineering", None, 7, ("Frontend Engineer", "Product Designer")),
    ("Sales", "Management", None, 8, ("Account Executive", "Sales Development Rep")),
    ("People", "Management", "hr", 4, ("HR Business Partner", "Recruiter")),
    ("Finance", "Management", None, 5, ("Controller", "Accountant")),
)


# Personas who are not department heads: (department, position in the department).
_STAFF_PERSONAS = {
    "employee": ("Platform", 1),
    "payroll": ("Finance", 1),
    "auditor": ("Finance", 2),
}


@dataclass(frozen=True)
class DemoLogin:
    tenant: str
    persona: str
    email: str
    name: str


class _Builder:
    def __init__(self, db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.now = now

    def add(self, row: Tracked) -> None:
        row.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        row.stamp_created(None, self.now)
        self.db.add(row)


async def seed_company(
    db: AsyncSession, profile: CompanyProfile, now: datetime, keyring: TenantKeyring
) -> list[DemoLogin]:
    """Create one demo company; does nothing (returns no logins) if it already exists."""
    if await find_tenant_by_slug(db, profile.slug) is not None:
        return []
    rng = random.Random(profile.slug)  # noqa: S311 - repeatable fake data, not secrets
    today = now.date()
    tenant = await create_tenant(db, name=profile.name, slug=profile.slug, now=now, keyring=keyring)
    build = _Builder(db, tenant.id, now)

    offices = []
    for name, address, tz in profile.offices:
        office = Office(
            id=uuid.uuid4(), name=name, address=address, country_code=profile.country, timezone=tz
        )
        build.add(office)
        offices.append(office)

    departments: dict[str, Department] = {}
    for name, parent, _, _, _ in _DEPARTMENTS:
        department = Department(
            id=uuid.uuid4(), name=name, parent_id=departments[parent].id if parent else None
        )
        build.add(department)
        departments[name] = department
    await db.flush()

    used_names: set[tuple[str, str]] = set()
    heads: dict[str, Employee] = {}
    personas: dict[str, Employee] = {}
    everyone: list[Employee] = []
    number = 1000
    for dept_name, parent, head_persona, size, titles in _DEPARTMENTS:
        for index in range(size):
            while True:
                first, last = rng.choice(profile.first_names), rng.choice(profile.last_names)
                if (first, last) not in used_names:
                    used_names.add((first, last))
                    break
            number += 1
            employee = Employee(
                id=uuid.uuid4(),
                employee_number=f"E{number}",
                first_name=first,
                last_name=last,
                work_email=f"{first}.{last}@{profile.domain}".lower(),
                work_phone=f"{profile.phone_prefix} 10 {rng.randint(100000, 999999)}",
                status=EmployeeStatus.ACTIVE,
            )
            build.add(employee)
            everyone.append(employee)
            is_head = index == 0
            if is_head:
                heads[dept_name] = employee
                departments[dept_name].head_employee_id = employee.id
                if head_persona:
                    personas[head_persona] = employee
            manager = heads[dept_name] if not is_head else (heads[parent] if parent else None)
            start = today - timedelta(days=rng.randint(120, 3000))
            build.add(
                Employment(
                    employee_id=employee.id,
                    employment_type=EmploymentType.PERMANENT,
                    start_date=start,
                    fte_percent=Decimal("100.00") if rng.random() > 0.15 else Decimal("80.00"),
                    legal_entity=profile.legal_entity,
                    country_code=profile.country,
                )
            )
            title = titles[-1] if is_head and len(titles) > 1 else titles[0]
            if dept_name == "Management":
                title = titles[0]
            elif is_head:
                title = f"Head of {dept_name}"
            build.add(
                JobAssignment(
                    employee_id=employee.id,
                    title=title,
                    department_id=departments[dept_name].id,
                    office_id=offices[0 if rng.random() < 0.7 else 1].id,
                    effective_from=start,
                )
            )
            build.add(
                ReportingLine(
                    employee_id=employee.id,
                    manager_id=manager.id if manager else None,
                    effective_from=start,
                )
            )
            for persona, (where, position) in _STAFF_PERSONAS.items():
                if (dept_name, index) == (where, position):
                    personas[persona] = employee
    await db.flush()

    await _add_history_and_absences(db, build, personas, today, rng)
    cipher = TenantCipher(keyring, db, tenant.id)
    await seed_sensitive_details(db, cipher, build.add, everyone, profile.country, today, rng)
    await seal_sick_notes(db, cipher, rng)
    await db.flush()
    seeded = Entry(
        "seed",
        "Tenant",
        str(tenant.id),
        changes=(Change("employees", ADMIN, None, number - 1000),),
    )
    await record_system(db, tenant.id, [seeded], operation="demo", now=now)
    logins = []
    for persona in PERSONAS:
        employee = personas[persona]
        email = f"{persona}@{profile.domain}"
        user = await create_user(
            db,
            tenant_id=tenant.id,
            email=email,
            password=Secret(DEMO_PASSWORD),
            employee_id=employee.id,
            actor_id=None,
            now=now,
        )
        names = []
        for role_key in sorted({PERSONA_ROLES[persona], "employee"}):
            role = await find_role(db, tenant.id, role_key)
            await assign_role(db, tenant.id, user.id, role.id, actor_id=None, now=now)
            names.append(role.name)
        await record_system(db, tenant.id, [user_created(user, names)], operation="demo", now=now)
        logins.append(DemoLogin(profile.slug, persona, email, employee.display_name))
    return logins


async def _add_history_and_absences(
    db: AsyncSession,
    build: _Builder,
    personas: dict[str, Employee],
    today: date,
    rng: random.Random,
) -> None:
    """A promotion scheduled for next month, and a few absences around today."""
    employee = personas["employee"]
    current = await db.scalar(
        select(JobAssignment).where(
            JobAssignment.tenant_id == build.tenant_id, JobAssignment.employee_id == employee.id
        )
    )
    build.add(
        JobAssignment(
            employee_id=employee.id,
            title="Senior Backend Engineer",
            department_id=current.department_id if current else None,
            office_id=current.office_id if current else None,
            effective_from=(today.replace(day=1) + timedelta(days=32)).replace(day=1),
        )
    )
    absence_types = await db.scalars(
        select(AbsenceType).where(AbsenceType.tenant_id == build.tenant_id)
    )
    types = {t.code: t for t in absence_types}
    for persona, code, status in (
        ("employee", "vacation", AbsenceStatus.REQUESTED),
        ("teamlead", "sick", AbsenceStatus.APPROVED),
        ("hr", "vacation", AbsenceStatus.APPROVED),
    ):
        start = today + timedelta(days=rng.randint(-5, 20))
        build.add(
            Absence(
                employee_id=personas[persona].id,
                absence_type_id=types[code].id,
                start_date=start,
                end_date=start + timedelta(days=rng.randint(0, 6)),
                status=status,
            )
        )
    await db.flush()
