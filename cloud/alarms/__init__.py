"""Alarms: rules as data, raised by ingest and a periodic job, acknowledged and cleared."""
