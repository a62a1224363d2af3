"""Repositories, one module per aggregate; every query filters by account."""
