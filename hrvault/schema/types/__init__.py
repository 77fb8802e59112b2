"""GraphQL object types, one module per area of the HR model."""
