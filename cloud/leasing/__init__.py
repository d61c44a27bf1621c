"""Tenants and their leases (contracts)."""
