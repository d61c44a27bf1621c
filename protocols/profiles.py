"""Device profiles as data: what a device measures and where each value lives in its registers."""

from dataclasses import dataclass, field
from typing import Literal

from protocols.codecs import DataType, WordOrder, word_count


@dataclass(frozen=True)
class MeasuredValue:
    """One value a device exposes: a metric read from `address` with `function_code`."""

    metric: str
    address: int
    data_type: DataType
    unit: str
    function_code: Literal[3, 4] = 4
    word_order: WordOrder = "big"
    scale: float = 1.0
    cumulative: bool = False
    """A register that only grows (energy): billing takes differences of it."""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFFFF:
            raise ValueError(f"{self.metric}: address {self.address:#x} is outside 0..0xFFFF")
        if self.scale == 0:
            raise ValueError(f"{self.metric}: scale must not be zero")

    @property
    def count(self) -> int:
        return word_count(self.data_type)


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    manufacturer: str
    model: str
    values: tuple[MeasuredValue, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        metrics = [v.metric for v in self.values]
        if len(set(metrics)) != len(metrics):
            raise ValueError(f"profile {self.name}: a metric is listed twice")

    def value(self, metric: str) -> MeasuredValue:
        for measured in self.values:
            if measured.metric == metric:
                return measured
        raise KeyError(f"profile {self.name} has no metric {metric!r}")


ENERGY_IMPORT = "energy_import"
"""Cumulative imported active energy in kWh: the register electricity bills are made from."""

CHINT_DDSU666 = DeviceProfile(
    name="chint-ddsu666",
    manufacturer="CHINT",
    model="DDSU666 single-phase meter",
    values=(
        MeasuredValue("voltage", 0x2000, "float32", "V"),
        MeasuredValue("current", 0x2002, "float32", "A"),
        MeasuredValue("active_power", 0x2004, "float32", "kW"),
        MeasuredValue("frequency", 0x200E, "float32", "Hz"),
        MeasuredValue(ENERGY_IMPORT, 0x4000, "float32", "kWh", cumulative=True),
    ),
)

PROFILES: dict[str, DeviceProfile] = {p.name: p for p in (CHINT_DDSU666,)}


def get_profile(name: str) -> DeviceProfile:
    """The profile called `name`; KeyError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
