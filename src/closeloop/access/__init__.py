"""Who may do what: users, sign-in, API tokens, roles, row-level visibility, the audit log."""
