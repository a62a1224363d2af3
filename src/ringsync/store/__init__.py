"""The store: tables, migrations and repositories; the only code that issues SQL."""
