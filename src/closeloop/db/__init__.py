"""Engine, sessions, base classes, column types and migrations."""
