"""Placeholder; replaced by its implementation."""


class TokenStore:
    """Placeholder."""
