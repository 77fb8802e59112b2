"""The tamper-evident audit log: records, the per-tenant hash chain, checkpoints, checks."""
