"""The ``hrvault`` subcommands beyond the core ones, one module per area."""
