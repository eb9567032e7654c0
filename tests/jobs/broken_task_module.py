"""A task module with a bug: it imports something that does not exist."""

import closeloop_no_such_dependency  # noqa: F401
