"""Alembic migrations of the billing tables, shipped with the package."""
