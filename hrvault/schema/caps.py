"""How many items each capped list of the schema shows at most, in one table.

Each figure is the bound the cost meter counts the list at (``hrvault.schema.bounds``),
so raising one makes every document that selects the list cost more. A list longer than
its cap answers its first items and lists its path under ``extensions.truncated``.
Lists of a person's records (history, reports) are paged with ``first:`` instead.
"""

from __future__ import annotations

DEPARTMENTS = 1000
OFFICES = 500
KINDS = 100
"""Absence types and document categories of a company."""
ROLES = 50
"""Roles of a company."""
USERS = 500
"""Logins listed (``users``, ``whoCanAccess``)."""
ROLES_OF_USER = 10
GRANTS_OF_ROLE = 100
"""Every field group and action, with room to spare."""
GRANT_SOURCES = 10
"""Grants named as the reason for one allowed action."""
SUPPORT_GRANTS = 50
STAFF_ACTIONS = 20
"""What staff did under one support grant; the audit log holds every record."""
INTEGRATIONS = 50
"""Integrations, the transfer register and the platform's sub-processors."""
PARTNER_TOKENS = 20
"""Tokens of one integration."""
SCOPE_IDS = 1000
"""People or departments a consent or a support grant names."""
CHANGES = 30
"""Changed fields of one audit record: more than any table has columns (21)."""
DOCUMENTS = 200
"""Documents of one person."""
