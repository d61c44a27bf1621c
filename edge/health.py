"""Say once that something broke and once that it recovered, instead of logging every failed try."""

import logging


class LinkHealth:
    """Health of one link (a device, the broker) as seen by the loop that keeps retrying it."""

    def __init__(self, name: str, *, logger: logging.Logger) -> None:
        self.name = name
        self.healthy = True
        self.failures = 0
        self._log = logger

    def failed(self, reason: object) -> None:
        self.failures += 1
        if self.healthy:
            self._log.warning("%s: failing: %s", self.name, reason)
        self.healthy = False

    def succeeded(self) -> None:
        if not self.healthy:
            self._log.info("%s: recovered after %d failed attempts", self.name, self.failures)
        self.healthy = True
        self.failures = 0
