"""DL/T 645-2007 meter driver: read a meter's total forward active energy over a serial link.

It answers `read()` with the same shape as MeterDriver, so a bus worker polls both alike.
"""

from collections.abc import Callable
from typing import Protocol

from edge.errors import TransportError
from protocols import dlt645
from protocols.profiles import ENERGY_IMPORT


class SerialTransaction(Protocol):
    """What the driver needs of a link (edge.transports.serial.SerialLink, or a fake)."""

    async def transact(
        self, request: bytes, *, timeout_s: float, complete: Callable[[bytes], bool]
    ) -> bytes: ...


class Dlt645Driver:
    """Reads one meter, addressed by its nameplate number, through the link it is given."""

    def __init__(self, *, link: SerialTransaction, address: str, timeout_s: float) -> None:
        if not (len(address) == 12 and address.isascii() and address.isdecimal()):
            raise ValueError(f"meter address {address!r} is not the 12 digits of a nameplate")
        if timeout_s <= 0:
            raise ValueError(f"timeout must be positive, got {timeout_s}")
        self.link = link
        self.address = address
        self.timeout_s = timeout_s
        self._request = dlt645.read_request(address, dlt645.FORWARD_ACTIVE_TOTAL)

    def __repr__(self) -> str:
        return f"Dlt645Driver(meter {self.address})"

    async def read(self) -> dict[str, float]:
        """{"energy_import": kWh}; TransportError naming the meter if it does not answer, or
        answers something unusable (another address, a refusal, a damaged frame)."""
        try:
            answer = await self.link.transact(
                self._request, timeout_s=self.timeout_s, complete=dlt645.answer_complete
            )
            kwh = dlt645.parse_energy_answer(answer, address=self.address)
        except (TransportError, dlt645.Dlt645Error) as exc:
            raise TransportError(f"DL/T 645 meter {self.address}: {exc}") from exc
        return {ENERGY_IMPORT: kwh}
