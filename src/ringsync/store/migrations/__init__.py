"""Alembic environment and revisions, shipped as package data and run from code."""
