"""A Modbus TCP hop for benchmarks: counts the requests that really cross the wire, per unit id,
and can make units silent (their requests are swallowed, as a dead RS-485 meter never answers).
"""

import asyncio
import socket
from collections import Counter
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"
MBAP_HEADER_BYTES = 7
"""Transaction id (2), protocol id (2), length (2, counting the unit id and PDU), unit id (1)."""


def free_tcp_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class ModbusTcpProxy:
    """Listens on a port of its own and forwards each Modbus TCP request to `upstream_port`,
    except those for `silent_units`; answers go back untouched."""

    def __init__(self, *, upstream_port: int, silent_units: frozenset[int] = frozenset()) -> None:
        self.upstream_port = upstream_port
        self.silent_units = silent_units
        self.requests: Counter[int] = Counter()
        """Unit id -> requests the client sent it (swallowed ones included)."""
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __repr__(self) -> str:
        silent = sorted(self.silent_units)
        return f"ModbusTcpProxy({self.port} -> {self.upstream_port}, silent units {silent})"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):  # Python 3.11 leaves open connections to us
            writer.close()
        await self._server.wait_closed()

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            gateway_in, gateway_out = await asyncio.open_connection(HOST, self.upstream_port)
        except OSError:
            client_out.close()
            return
        self._writers |= {client_out, gateway_out}
        answers = asyncio.create_task(_copy(gateway_in, client_out))
        try:
            while True:
                header = await client_in.readexactly(MBAP_HEADER_BYTES)
                pdu = await client_in.readexactly(int.from_bytes(header[4:6], "big") - 1)
                unit = header[6]
                self.requests[unit] += 1
                if unit not in self.silent_units:
                    gateway_out.write(header + pdu)
                    await gateway_out.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up (the edge reconnects after a timeout)
        finally:
            answers.cancel()
            await asyncio.gather(answers, return_exceptions=True)
            for writer in (client_out, gateway_out):
                writer.close()
                self._writers.discard(writer)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(4096):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
