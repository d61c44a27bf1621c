"""The web UI: NiceGUI pages (staff console, tenant phone views) over the domain services."""
