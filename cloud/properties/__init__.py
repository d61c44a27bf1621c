"""Sites, buildings and the units (offices, shops) that are let."""
