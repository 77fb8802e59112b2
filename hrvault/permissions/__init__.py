"""Who may do what: field groups, access markers on the schema, and the checks behind them."""
