"""ringsync: keep a contact center's contacts in two-way sync with Salesforce Leads and Contacts."""

__version__ = "0.1.0"

__all__ = ["__version__"]
