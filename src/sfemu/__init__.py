"""sfemu: a faithful local emulator of the Salesforce REST, OAuth and Bulk 2.0 APIs."""

__version__ = "0.1.0"

__all__ = ["__version__"]
