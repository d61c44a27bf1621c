"""Device profiles as data: what a device measures and where each value lives in its registers."""

from dataclasses import dataclass, field
from typing import Literal

from protocols.codecs import DataType, WordOrder, word_count

_INTEGER_LIMITS = {"int16": 2**15 - 1, "uint16": 2**16 - 1, "int32": 2**31 - 1, "uint32": 2**32 - 1}


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
    """value = raw × scale, in `unit`: a meter that counts W for a kW metric has scale 0.001."""
    cumulative: bool = False
    """A register that only grows (energy, water volume): billing takes differences of it."""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFFFF:
            raise ValueError(f"{self.metric}: address {self.address:#x} is outside 0..0xFFFF")
        if self.scale == 0:
            raise ValueError(f"{self.metric}: scale must not be zero")

    @property
    def count(self) -> int:
        return word_count(self.data_type)

    @property
    def end(self) -> int:
        """The first register after this value."""
        return self.address + self.count

    @property
    def wraps_at(self) -> float | None:
        """The largest value the register can show (in `unit`): an integer counter rolls over
        to zero past it. None for floating-point registers, which do not wrap."""
        limit = _INTEGER_LIMITS.get(self.data_type)
        return None if limit is None else limit * abs(self.scale)


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    manufacturer: str
    model: str
    values: tuple[MeasuredValue, ...] = field(default_factory=tuple)
    max_gap: int = 0
    """Unlisted registers a read may cover between two listed values: only where the maker's
    map defines every register in between (many meters answer an exception otherwise)."""

    def __post_init__(self) -> None:
        metrics = [v.metric for v in self.values]
        if len(set(metrics)) != len(metrics):
            raise ValueError(f"profile {self.name}: a metric is listed twice")
        ordered = sorted(self.values, key=lambda v: (v.function_code, v.address))
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.function_code == after.function_code and after.address < before.end:
                raise ValueError(
                    f"profile {self.name}: {after.metric} at {after.address:#06x} overlaps "
                    f"{before.metric} ({before.address:#06x}..{before.end - 1:#06x}, "
                    f"function code {before.function_code})"
                )

    def value(self, metric: str) -> MeasuredValue:
        for measured in self.values:
            if measured.metric == metric:
                return measured
        raise KeyError(f"profile {self.name} has no metric {metric!r}")


ENERGY_IMPORT = "energy_import"
"""Cumulative imported active energy in kWh: the register electricity bills are made from."""
WATER_VOLUME = "water_volume"
"""Cumulative volume in m³: the register water bills are made from."""
WATER_FLOW = "water_flow"
"""Flow rate in m³/h."""

# Units the cloud expects, whatever the meter counts in: V, A, kW, Hz, kWh, m³, m³/h.
# A register in other units gets a scale (value = raw × scale), e.g. 0.001 for W -> kW.
W_TO_KW = 0.001

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
    max_gap=16,  # 0x2000..0x200F is one defined block (U, I, P, Q, S, PF, ..., Freq)
)

CHINT_DTSU666 = DeviceProfile(
    name="chint-dtsu666",
    manufacturer="CHINT",
    model="DTSU666 three-phase four-wire meter",
    values=(
        MeasuredValue("voltage_l1", 0x2006, "float32", "V", function_code=3, scale=0.1),
        MeasuredValue("voltage_l2", 0x2008, "float32", "V", function_code=3, scale=0.1),
        MeasuredValue("voltage_l3", 0x200A, "float32", "V", function_code=3, scale=0.1),
        MeasuredValue("current_l1", 0x200C, "float32", "A", function_code=3, scale=0.001),
        MeasuredValue("current_l2", 0x200E, "float32", "A", function_code=3, scale=0.001),
        MeasuredValue("current_l3", 0x2010, "float32", "A", function_code=3, scale=0.001),
        # Pt counts tenths of a watt: 0.1 W x 0.001 kW/W.
        MeasuredValue("active_power", 0x2012, "float32", "kW", function_code=3, scale=0.0001),
        MeasuredValue("frequency", 0x2044, "float32", "Hz", function_code=3, scale=0.01),
        MeasuredValue(ENERGY_IMPORT, 0x401E, "float32", "kWh", function_code=3, cumulative=True),
    ),
    max_gap=64,  # 0x2000..0x2050: reactive and apparent power, power factors between
)
"""Source: CHINT "DTSU666/DSSU666 User Manual" ZTW0.464.0104 as transcribed by the mbmap
library (chint/dtsu666.mbmap.json) and the gerontec/dtsu666 register list. Holding registers,
float32 high word first, in raw units (Ua 2301.5 means 230.15 V). Everything is secondary-side:
with CTs/VTs the true value is the register × IrAt (0x0006) and × UrAt (0x0007) × 0.1. This
profile assumes a direct-connected meter (both ratios 1); the device's CT/PT ratio in the site
config is where primary-side scaling belongs, not here."""

EASTRON_SDM120 = DeviceProfile(
    name="eastron-sdm120",
    manufacturer="Eastron",
    model="SDM120-Modbus single-phase meter",
    values=(
        MeasuredValue("voltage", 0x0000, "float32", "V"),
        MeasuredValue("current", 0x0006, "float32", "A"),
        MeasuredValue("active_power", 0x000C, "float32", "kW", scale=W_TO_KW),
        MeasuredValue("frequency", 0x0046, "float32", "Hz"),
        MeasuredValue(ENERGY_IMPORT, 0x0048, "float32", "kWh", cumulative=True),
    ),
)
"""Source: Eastron "SDM120-Modbus protocol" V2.4 / SDM120-M user manual V1.0 (input registers,
function 04, float32 high word first). Power is reported in W."""

EASTRON_SDM630 = DeviceProfile(
    name="eastron-sdm630",
    manufacturer="Eastron",
    model="SDM630-Modbus three-phase meter",
    values=(
        MeasuredValue("voltage_l1", 0x0000, "float32", "V"),
        MeasuredValue("voltage_l2", 0x0002, "float32", "V"),
        MeasuredValue("voltage_l3", 0x0004, "float32", "V"),
        MeasuredValue("current_l1", 0x0006, "float32", "A"),
        MeasuredValue("current_l2", 0x0008, "float32", "A"),
        MeasuredValue("current_l3", 0x000A, "float32", "A"),
        MeasuredValue("active_power", 0x0034, "float32", "kW", scale=W_TO_KW),
        MeasuredValue("frequency", 0x0046, "float32", "Hz"),
        MeasuredValue(ENERGY_IMPORT, 0x0048, "float32", "kWh", cumulative=True),
    ),
)
"""Source: Eastron "SDM630-Modbus V2 protocol" input register table (function 04, float32 high
word first; 30053 total system power in W, 30073 total import kWh)."""

ACREL_ADW300 = DeviceProfile(
    name="acrel-adw300",
    manufacturer="Acrel",
    model="ADW300 three-phase wireless metering meter",
    values=(
        MeasuredValue("voltage_l1", 20, "uint16", "V", function_code=3, scale=0.1),
        MeasuredValue("voltage_l2", 21, "uint16", "V", function_code=3, scale=0.1),
        MeasuredValue("voltage_l3", 22, "uint16", "V", function_code=3, scale=0.1),
        MeasuredValue("current_l1", 26, "uint16", "A", function_code=3, scale=0.01),
        MeasuredValue("current_l2", 27, "uint16", "A", function_code=3, scale=0.01),
        MeasuredValue("current_l3", 28, "uint16", "A", function_code=3, scale=0.01),
        MeasuredValue("active_power", 36, "int32", "kW", function_code=3, scale=W_TO_KW),
        MeasuredValue(
            ENERGY_IMPORT, 62, "int32", "kWh", function_code=3, scale=0.01, cumulative=True
        ),
    ),
)
"""Source: Acrel's own ADW300 manual was not found; this is the widely published map of the evcc
template acrel-adw300 (holding registers: phase voltages 0.1 V, currents 0.01 A, total active
power int32 W, forward active energy int32 0.01 kWh). That map has no frequency register, so
this profile has none."""

GENERIC_WATER_METER = DeviceProfile(
    name="generic-water-meter",
    manufacturer="generic",
    model="Modbus water meter (cumulative volume and flow)",
    values=(
        MeasuredValue(
            WATER_VOLUME, 0x0000, "uint32", "m³", function_code=3, scale=0.001, cumulative=True
        ),
        MeasuredValue(WATER_FLOW, 0x0002, "uint16", "m³/h", function_code=3, scale=0.01),
    ),
)
"""No single maker's map: the common layout of RS-485 water meters, a uint32 litre counter
(0.001 m³) followed by the flow rate in 0.01 m³/h. A meter laid out otherwise needs a profile
of its own here (profiles written in the site YAML are still to come)."""

PROFILES: dict[str, DeviceProfile] = {
    p.name: p
    for p in (
        CHINT_DDSU666,
        CHINT_DTSU666,
        EASTRON_SDM120,
        EASTRON_SDM630,
        ACREL_ADW300,
        GENERIC_WATER_METER,
    )
}


def get_profile(name: str) -> DeviceProfile:
    """The profile called `name`; KeyError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}") from None
