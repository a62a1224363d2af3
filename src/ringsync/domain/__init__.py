"""The contact-center side: contacts, phones, users, activities, tracking stats, settings."""
