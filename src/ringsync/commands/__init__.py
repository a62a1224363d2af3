"""Typer sub-apps of the ringsync command line, one module per area."""
