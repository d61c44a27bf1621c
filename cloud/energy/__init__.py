"""Meters and their readings: what the edge measured, and who may see it."""
