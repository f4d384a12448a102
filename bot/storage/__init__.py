"""Persistence: SQLModel tables, the database wiring and Alembic migrations."""
