"""A door controller over TCP (`protocols.door_line`): one connection, newline-delimited JSON
reports in, unlock and deny orders out."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

from pydantic import ValidationError

from edge.errors import TransportError
from protocols import door_line as line


class DoorLink:
    """The connection to one door controller; TransportError when it cannot be had or drops."""

    def __init__(self, *, host: str, port: int, timeout_s: float = 5.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def __repr__(self) -> str:
        return f"DoorLink({self.host}:{self.port})"

    async def __aenter__(self) -> Self:
        try:
            async with asyncio.timeout(self.timeout_s):
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, limit=line.MAX_LINE_BYTES * 2
                )
        except (OSError, TimeoutError) as exc:
            raise TransportError(f"door controller {self.host}:{self.port}: {exc}") from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def reports(self) -> AsyncIterator[line.Report]:
        """Every well-formed report until the controller hangs up (then TransportError)."""
        assert self._reader is not None, "enter the link first"
        while True:
            try:
                raw = await self._reader.readline()
            except (OSError, ValueError) as exc:  # ValueError: a line over the limit
                raise TransportError(f"door controller {self.host}:{self.port}: {exc}") from exc
            if not raw:
                raise TransportError(f"door controller {self.host}:{self.port} hung up")
            try:
                yield line.REPORTS.validate_json(raw)
            except ValidationError:
                continue  # another firmware's line: not ours to act on

    async def unlock(self, seconds: float) -> str:
        order = line.Unlock(id=uuid.uuid4().hex[:12], seconds=seconds)
        await self._send(order)
        return order.id

    async def deny(self) -> str:
        order = line.Deny(id=uuid.uuid4().hex[:12])
        await self._send(order)
        return order.id

    async def _send(self, order: line.Unlock | line.Deny) -> None:
        if self._writer is None:
            raise TransportError(f"door controller {self.host}:{self.port}: not connected")
        try:
            self._writer.write(line.encode(order))
            await self._writer.drain()
        except (OSError, ConnectionError) as exc:
            raise TransportError(f"door controller {self.host}:{self.port}: {exc}") from exc
