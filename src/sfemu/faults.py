"""Placeholder; replaced by its implementation."""


class FaultPlan:
    """Placeholder."""
