import pytest

from protocols.profiles import (
    ENERGY_IMPORT,
    PROFILES,
    WATER_VOLUME,
    DeviceProfile,
    MeasuredValue,
    get_profile,
)

UNITS = {
    "voltage": "V",
    "current": "A",
    "active_power": "kW",
    "frequency": "Hz",
    ENERGY_IMPORT: "kWh",
    WATER_VOLUME: "m³",
    "water_flow": "m³/h",
}


def _unit_for(metric: str) -> str:
    return UNITS[metric.removesuffix("_l1").removesuffix("_l2").removesuffix("_l3")]


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
def test_every_profile_speaks_the_units_the_cloud_expects(profile):
    for measured in profile.values:
        assert measured.unit == _unit_for(measured.metric), measured
        assert measured.cumulative == (measured.metric in (ENERGY_IMPORT, WATER_VOLUME))
    assert any(v.cumulative for v in profile.values), "nothing to bill from"


@pytest.mark.parametrize("name", ["chint-dtsu666", "eastron-sdm630", "acrel-adw300"])
def test_three_phase_meters_list_every_phase(name):
    metrics = {v.metric for v in get_profile(name).values}
    assert {f"{m}_l{n}" for m in ("voltage", "current") for n in (1, 2, 3)} <= metrics
    assert "active_power" in metrics and ENERGY_IMPORT in metrics


def test_a_meter_reporting_watts_is_scaled_to_kilowatts():
    for name in ("eastron-sdm120", "eastron-sdm630", "acrel-adw300"):
        assert get_profile(name).value("active_power").scale == 0.001


def test_overlapping_registers_in_one_table_are_refused():
    with pytest.raises(ValueError, match=r"b at 0x0011 overlaps a \(0x0010..0x0011"):
        DeviceProfile(
            name="bad",
            manufacturer="test",
            model="test",
            values=(
                MeasuredValue("a", 0x10, "float32", "x"),
                MeasuredValue("b", 0x11, "uint16", "x"),
            ),
        )


def test_the_same_address_in_two_tables_is_fine():
    profile = DeviceProfile(
        name="ok",
        manufacturer="test",
        model="test",
        values=(
            MeasuredValue("a", 0x10, "float64", "x", function_code=3),
            MeasuredValue("b", 0x11, "uint16", "x", function_code=4),
            MeasuredValue("c", 0x14, "uint16", "x", function_code=3),  # right after a
        ),
    )
    assert profile.value("c").address == 0x14


def test_a_metric_listed_twice_or_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="twice"):
        DeviceProfile(
            name="bad",
            manufacturer="test",
            model="test",
            values=(MeasuredValue("a", 0, "uint16", "x"), MeasuredValue("a", 5, "uint16", "x")),
        )
    with pytest.raises(KeyError, match="known: acrel-adw300"):
        get_profile("acme-9000")
