"""Notices to staff and tenants through one outbox: written with the business change, delivered
by a job through in-app, email and SMS providers."""
