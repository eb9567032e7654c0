"""Background work: the outbox, the worker and its schedules."""
