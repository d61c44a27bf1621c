"""Charges to tenants: for now, electricity from cumulative meter registers."""
