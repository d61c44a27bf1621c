"""The edge agent's errors: one root, so callers can catch everything the agent raises."""


class EdgeError(Exception):
    """Root of every error the edge agent raises on purpose."""


class SiteConfigError(EdgeError):
    """The site config cannot be used; the message lists every problem and where it is."""


class TransportError(EdgeError):
    """A device could not be reached or refused a request (timeout, refused, exception code)."""
