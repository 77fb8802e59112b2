"""The registry of sealed columns: every database column that holds sealed values.

Re-encryption, the "no plaintext in the database" checks and key retirement all walk
this registry, so a column that is not in it would be skipped and its values lost when
an old key is retired. Two rules make that impossible to miss:

- a sealed column is a ``bytea`` column whose name ends in ``_sealed``, in a table
  keyed by ``(tenant_id, id)``;
- ``unregistered_sealed_columns`` lists every such column the registry does not know,
  and ``hrvault keys reencrypt`` refuses to run while there is one.

Declare each column once, at the bottom of this module, so importing the crypto core
registers all of them::

    BIRTH_DATE = SEALED_COLUMNS.register(
        "employee_personal", "birth_date_sealed", person_column="employee_id"
    )
    DOCUMENT_KEY = SEALED_COLUMNS.register(
        "documents", "file_key_sealed", person_column="employee_id", holds=SealedKind.FILE_KEY
    )

``person_column`` names the column holding the employee id: the value is then sealed
under that person's key (erasable on its own). Without it the value is sealed under the
tenant data key. ``holds`` says whether the column keeps sealed values (format v1) or the
key headers of sealed files (stream format v1, whose document id is the row's id). The
table and column names are bound into every value's associated data: renaming either
means re-sealing the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hrvault.crypto.binding import column_binding
from hrvault.crypto.blind_index import BlindIndex, normalize_iban, normalize_national_id
from hrvault.crypto.formats import FIELD_V1, STREAM_V1, KeyScope, SealedFormat

SEALED_SUFFIX = "_sealed"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SealedKind(Enum):
    VALUE = FIELD_V1
    """Sealed values (``TenantCipher.seal_field``)."""
    FILE_KEY = STREAM_V1
    """Key headers of sealed files (``TenantCipher.file_sealer``)."""

    @property
    def format(self) -> SealedFormat:
        sealed_format: SealedFormat = self.value
        return sealed_format


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    person_column: str | None = None
    holds: SealedKind = SealedKind.VALUE
    binding: bytes = field(init=False, repr=False, compare=False)
    """The column's part of the associated data, computed once."""
    scope: KeyScope = field(init=False, repr=False, compare=False)
    """The key that seals its values: the person's when ``person_column`` is set."""

    def __post_init__(self) -> None:
        for name in (self.table, self.column, self.person_column or "id"):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")
        if not self.column.endswith(SEALED_SUFFIX):
            raise ValueError(f"a sealed column's name ends in {SEALED_SUFFIX!r}: {self.column}")
        object.__setattr__(self, "binding", column_binding(self.table, self.column))
        object.__setattr__(
            self, "scope", KeyScope.PERSON if self.person_column else KeyScope.TENANT
        )

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


class SealedColumnRegistry:
    """Sealed columns by ``(table, column)``; registering one twice is refused."""

    def __init__(self) -> None:
        self._columns: dict[tuple[str, str], SealedColumn] = {}

    def register(
        self,
        table: str,
        column: str,
        *,
        person_column: str | None = None,
        holds: SealedKind = SealedKind.VALUE,
    ) -> SealedColumn:
        sealed = SealedColumn(table, column, person_column, holds)
        if (table, column) in self._columns:
            raise ValueError(f"{sealed.name} is already a registered sealed column")
        self._columns[(table, column)] = sealed
        return sealed

    def __iter__(self) -> Iterator[SealedColumn]:
        return iter(sorted(self._columns.values(), key=lambda c: (c.table, c.column)))

    def __contains__(self, key: object) -> bool:
        return key in self._columns

    def __len__(self) -> int:
        return len(self._columns)


async def unregistered_sealed_columns(
    db: AsyncSession, registry: SealedColumnRegistry
) -> list[str]:
    """``table.column`` of every ``*_sealed`` bytea column in ``public`` the registry lacks."""
    rows = await db.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = 'bytea'"
            " AND right(column_name, length(:suffix)) = :suffix"
        ),
        {"suffix": SEALED_SUFFIX},
    )
    return sorted(f"{table}.{column}" for table, column in rows if (table, column) not in registry)


SEALED_COLUMNS = SealedColumnRegistry()
"""Every sealed column of hrvault; each new one is declared right below this line."""


def _person_column(table: str, column: str) -> SealedColumn:
    return SEALED_COLUMNS.register(table, f"{column}_sealed", person_column="employee_id")


BIRTH_DATE = _person_column("employee_personal", "birth_date")
GENDER = _person_column("employee_personal", "gender")
NATIONALITY = _person_column("employee_personal", "nationality")
PRIVATE_EMAIL = _person_column("employee_personal", "private_email")
PRIVATE_PHONE = _person_column("employee_personal", "private_phone")
HOME_ADDRESS = _person_column("employee_personal", "home_address")

NATIONAL_ID = _person_column("employee_identity", "national_id")
NATIONAL_ID_COUNTRY = _person_column("employee_identity", "national_id_country")
PASSPORT_NUMBER = _person_column("employee_identity", "passport_number")
PASSPORT_EXPIRY = _person_column("employee_identity", "passport_expiry")

IBAN = _person_column("bank_accounts", "iban")
BIC = _person_column("bank_accounts", "bic")
BANK_NAME = _person_column("bank_accounts", "bank_name")
ACCOUNT_HOLDER = _person_column("bank_accounts", "holder")

CONTACT_NAME = _person_column("emergency_contacts", "name")
CONTACT_RELATION = _person_column("emergency_contacts", "relation")
CONTACT_PHONE = _person_column("emergency_contacts", "phone")
CONTACT_EMAIL = _person_column("emergency_contacts", "email")

PAY_AMOUNT = _person_column("compensations", "amount")
PAY_CURRENCY = _person_column("compensations", "currency")
PAY_PERIOD = _person_column("compensations", "period")
PAY_FREQUENCY = _person_column("compensations", "pay_frequency")
PAY_REASON = _person_column("compensations", "reason")

EXTRA_PAY_KIND = _person_column("additional_compensations", "kind")
EXTRA_PAY_AMOUNT = _person_column("additional_compensations", "amount")
EXTRA_PAY_CURRENCY = _person_column("additional_compensations", "currency")
EXTRA_PAY_START = _person_column("additional_compensations", "start_date")
EXTRA_PAY_END = _person_column("additional_compensations", "end_date")
EXTRA_PAY_DESCRIPTION = _person_column("additional_compensations", "description")

ABSENCE_REASON = _person_column("absences", "reason")

NATIONAL_ID_INDEX = BlindIndex("employee_identity.national_id", normalize_national_id)
"""Over ``country:number`` in canonical form: one person per national id in a tenant."""
IBAN_INDEX = BlindIndex("bank_accounts.iban", normalize_iban)

TOTP_SEED = SEALED_COLUMNS.register("totp_credentials", "seed_sealed")
"""A tenant user's TOTP seed, under the tenant data key; the row's id is the user's id."""

DOCUMENT_KEY = SEALED_COLUMNS.register(
    "documents", "file_key_sealed", person_column="employee_id", holds=SealedKind.FILE_KEY
)
"""The key of a document's body, sealed under the employee's person key (issue 9)."""
DOCUMENT_FILENAME = SEALED_COLUMNS.register(
    "documents", "filename_sealed", person_column="employee_id"
)
"""A document's original (normalised) filename: personal, so sealed like a field."""
