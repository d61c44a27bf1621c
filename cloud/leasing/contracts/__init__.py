"""Contracts: versions of structured terms, their approval and lifecycle, stored charge schedules,
amendments, renewals, early termination with a settlement, and expiry alerts."""
