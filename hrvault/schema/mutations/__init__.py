"""Root mutation fields, one module per area, combined into one ``Mutation`` type.

Every mutation runs in the request's single transaction; any error rolls all of it
back, so a failed mutation writes nothing.
"""

from __future__ import annotations

import strawberry

from hrvault.schema.documents import DocumentMutations
from hrvault.schema.integrations import IntegrationMutations
from hrvault.schema.mutations.absences import AbsenceMutations
from hrvault.schema.mutations.admin import AdminMutations
from hrvault.schema.mutations.auth import SessionMutations
from hrvault.schema.mutations.org import OrganisationMutations
from hrvault.schema.mutations.people import PeopleMutations
from hrvault.schema.mutations.personal_data import PersonalDataMutations
from hrvault.schema.mutations.staff import StaffMutations
from hrvault.schema.mutations.support import SupportMutations
from hrvault.schema.mutations.totp import TotpMutations


@strawberry.type
class Mutation(
    SessionMutations,
    TotpMutations,
    StaffMutations,
    PeopleMutations,
    PersonalDataMutations,
    OrganisationMutations,
    AbsenceMutations,
    AdminMutations,
    IntegrationMutations,
    SupportMutations,
    DocumentMutations,
):
    """All mutations; the areas' classes contribute the fields."""
