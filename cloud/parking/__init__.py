"""Parking: vehicles, monthly passes, sessions from gate events, fees, allow-lists."""
