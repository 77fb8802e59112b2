"""hrvault: a multi-tenant HR system served as a GraphQL API, built around field-level
permissions, per-tenant encryption and a tamper-evident audit log."""
