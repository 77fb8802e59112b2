"""Who is calling: passwords, sessions and the principals they authenticate."""
