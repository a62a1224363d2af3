"""Placeholder; replaced by its implementation."""


class Stats:
    """Placeholder."""
