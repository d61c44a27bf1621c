"""Codes people and configs use to name things (sites, agents, devices), safe inside MQTT topics."""

from typing import Annotated

from pydantic import StringConstraints

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"

Code = Annotated[str, StringConstraints(pattern=CODE_PATTERN)]
"""A site, agent or device code: letters, digits, `_ . -`; never `/ + #`, so it is one topic
level."""
