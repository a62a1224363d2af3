"""Register the shared fixture modules (pytest reads ``pytest_plugins`` only in this conftest)."""

pytest_plugins = [
    "fixtures.database",
    "fixtures.logs",
    "fixtures.services",
    "fixtures.sfemu",
    "fixtures.web",
]
