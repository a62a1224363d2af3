"""Register the shared fixture modules (pytest reads ``pytest_plugins`` only in this conftest)."""

pytest_plugins = [
    "fixtures.database",
    "fixtures.logs",
    "fixtures.services",
    "fixtures.sfemu",
    "fixtures.web",
]

# Property tests judge results, never speed: on a loaded machine (CI shares two cores with
# Postgres, Redis, sfemu and the browser) hypothesis's default 200 ms deadline fails at random.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ringsync", deadline=None)
_hypothesis_settings.load_profile("ringsync")
