"""Pure-ASGI middleware and plain HTTP routes around the GraphQL endpoint."""
