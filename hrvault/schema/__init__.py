"""The GraphQL schema: types, inputs, root fields and the extensions around execution."""
