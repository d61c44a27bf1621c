"""Payments: online through providers, bank reconciliation, invoices."""
