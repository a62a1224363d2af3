"""Which hosts ringsync may send Salesforce credentials to: https only, allow-listed.

A token response's ``instance_url`` decides where the access token goes next, so a forged
one would leak it; every login URL and instance URL is checked here first.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from ringsync.errors import AuthError
from ringsync.settings import Settings


class HostPolicy:
    """Decide which Salesforce hosts ringsync may send credentials to (https only)."""

    def __init__(self, patterns: list[str]) -> None:
        """Allow hosts matching any fnmatch pattern over ``host`` or ``host:port``."""
        self._patterns = [p.strip().lower() for p in patterns if p.strip()]

    @classmethod
    def from_settings(cls, settings: Settings) -> HostPolicy:
        """Build the policy from ``settings.salesforce_allowed_hosts``."""
        return cls(settings.salesforce_allowed_hosts.split(","))

    def check(self, url: str, *, what: str = "instance URL") -> str:
        """Return ``scheme://host[:port]`` of ``url`` if allowed, else raise AuthError."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or not host:
            raise AuthError(f"The Salesforce {what} must be an https URL", url_host=host or None)
        netloc = f"{host}:{parts.port}" if parts.port else host
        if not any(fnmatchcase(netloc, p) or fnmatchcase(host, p) for p in self._patterns):
            raise AuthError(
                f"The {what} {netloc} is not an allowed Salesforce host "
                "(see RINGSYNC_SALESFORCE_ALLOWED_HOSTS)",
                url_host=netloc,
            )
        return f"https://{netloc}"


__all__ = ["HostPolicy"]
