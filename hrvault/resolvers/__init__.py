"""Query and mutation logic. No GraphQL types here beyond what resolvers return."""
