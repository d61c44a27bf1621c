"""Organisations, users, roles, login and the acting principal (`Actor`)."""
