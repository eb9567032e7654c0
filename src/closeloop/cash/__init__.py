"""Orders, payment plans, invoices, payments, allocations and aging."""
