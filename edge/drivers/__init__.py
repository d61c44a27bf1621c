"""Device meaning over a transport: which registers a device has and what they mean."""
