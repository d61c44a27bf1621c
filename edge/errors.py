"""The edge agent's errors: one root, so callers can catch everything the agent raises."""

from protocols import site_config_yaml


class EdgeError(Exception):
    """Root of every error the edge agent raises on purpose."""


class SiteConfigError(EdgeError, site_config_yaml.SiteConfigError):
    """The site config cannot be used; the message lists every problem and where it is."""


class TransportError(EdgeError):
    """A device could not be reached or refused a request (timeout, refused, exception code)."""
