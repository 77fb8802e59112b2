"""ORM models. Importing this package registers every table on ``Base.metadata``."""

from hrvault.models.absence import Absence, AbsenceType
from hrvault.models.audit import AuditCheckpoint, AuditHead, AuditRecord
from hrvault.models.base import Base
from hrvault.models.current import EmployeeCurrent
from hrvault.models.document import Document, DocumentCategory, DocumentLink
from hrvault.models.employee import Employee, Employment, JobAssignment, ReportingLine
from hrvault.models.enums import AbsenceStatus, EmployeeStatus, EmploymentType
from hrvault.models.erasure import TenantErasure
from hrvault.models.org import Department, Office
from hrvault.models.partner import Integration, IntegrationAccess, PartnerToken, TransferBasis
from hrvault.models.personal_data import (
    AdditionalCompensation,
    BankAccount,
    Compensation,
    EmergencyContact,
    IdentityDetails,
    PersonalDetails,
)
from hrvault.models.role import Role, RoleAbility, RoleGrant, UserRole
from hrvault.models.support import (
    StaffAuditHead,
    StaffAuditRecord,
    StaffRecoveryCode,
    StaffSession,
    SupportGrant,
    SupportStaff,
)
from hrvault.models.tenant import Tenant
from hrvault.models.throttle import CredentialBucket
from hrvault.models.totp import RecoveryCode, TotpCredential
from hrvault.models.user import Session, User

__all__ = [
    "Absence",
    "AbsenceStatus",
    "AbsenceType",
    "AdditionalCompensation",
    "AuditCheckpoint",
    "AuditHead",
    "AuditRecord",
    "BankAccount",
    "Base",
    "Compensation",
    "CredentialBucket",
    "Department",
    "Document",
    "DocumentCategory",
    "DocumentLink",
    "EmergencyContact",
    "Employee",
    "EmployeeCurrent",
    "EmployeeStatus",
    "Employment",
    "EmploymentType",
    "IdentityDetails",
    "Integration",
    "IntegrationAccess",
    "JobAssignment",
    "Office",
    "PartnerToken",
    "PersonalDetails",
    "RecoveryCode",
    "ReportingLine",
    "Role",
    "RoleAbility",
    "RoleGrant",
    "Session",
    "StaffAuditHead",
    "StaffAuditRecord",
    "StaffRecoveryCode",
    "StaffSession",
    "SupportGrant",
    "SupportStaff",
    "Tenant",
    "TenantErasure",
    "TotpCredential",
    "TransferBasis",
    "User",
    "UserRole",
]
