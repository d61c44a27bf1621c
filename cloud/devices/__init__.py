"""Device registry: edge agents online or offline, their versions and config drift, meters
with their last values."""
