from hypothesis import given
from hypothesis import strategies as st

from edge.sanity import Cumulative, CumulativeGuard, cumulative_registers
from edge.state import AgentState
from protocols.profiles import ACREL_ADW300, CHINT_DDSU666

UINT32_KWH = Cumulative("energy_import", wraps_at=(2**32 - 1) * 0.01)


class Memory:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], float] = {}

    def last_value(self, device: str, metric: str) -> float | None:
        return self.values.get((device, metric))

    def remember(self, device: str, values: dict[str, float]) -> None:
        self.values |= {(device, metric): value for metric, value in values.items()}


def _guard(memory=None, register=UINT32_KWH) -> CumulativeGuard:
    return CumulativeGuard(memory=memory or Memory(), registers=lambda device: (register,))


def test_growing_energy_carries_no_flag():
    guard = _guard()
    assert [guard.check("EM-1", {"energy_import": e}) for e in (10.0, 10.0, 12.5)] == [[], [], []]


def test_a_counter_that_wraps_is_a_rollover_and_the_next_readings_are_clean():
    guard = _guard()
    top = UINT32_KWH.wraps_at
    assert guard.check("EM-1", {"energy_import": top - 5}) == []
    assert guard.check("EM-1", {"energy_import": 3.0}) == ["rollover:energy_import"]
    assert guard.check("EM-1", {"energy_import": 4.0}) == []


def test_a_big_fall_is_a_replaced_meter_and_starts_a_new_reference():
    guard = _guard()
    guard.check("EM-1", {"energy_import": 18_000.0})
    assert guard.check("EM-1", {"energy_import": 0.4}) == ["replaced:energy_import"]
    assert guard.check("EM-1", {"energy_import": 1.0}) == []


def test_a_small_fall_is_backwards_and_the_high_mark_stays_the_reference():
    guard = _guard()
    guard.check("EM-1", {"energy_import": 1000.0})
    assert guard.check("EM-1", {"energy_import": 999.5}) == ["backwards:energy_import"]
    assert guard.check("EM-1", {"energy_import": 999.9}) == ["backwards:energy_import"]
    assert guard.check("EM-1", {"energy_import": 1000.1}) == []


def test_a_float_register_never_counts_as_a_rollover():
    guard = _guard(register=Cumulative("energy_import", wraps_at=None))
    guard.check("EM-1", {"energy_import": 3.9e9})
    assert guard.check("EM-1", {"energy_import": 1.0}) == ["replaced:energy_import"]


def test_devices_and_other_metrics_are_independent():
    guard = _guard()
    guard.check("EM-1", {"energy_import": 500.0, "voltage": 230.0})
    assert guard.check("EM-2", {"energy_import": 1.0}) == []
    assert guard.check("EM-1", {"energy_import": 501.0, "voltage": 1.0}) == []


def test_registers_come_from_the_profile_with_their_limits():
    [energy] = cumulative_registers(ACREL_ADW300)  # int32 in 0.01 kWh
    assert energy == Cumulative("energy_import", wraps_at=(2**31 - 1) * 0.01)
    assert cumulative_registers(CHINT_DDSU666) == (Cumulative("energy_import", None),)


def test_the_reference_survives_a_restart(tmp_path):
    with AgentState(tmp_path / "state.sqlite3") as state:
        _guard(state).check("EM-1", {"energy_import": 18_000.0})
    with AgentState(tmp_path / "state.sqlite3") as state:
        assert _guard(state).check("EM-1", {"energy_import": 2.0}) == ["replaced:energy_import"]


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40))
def test_every_reading_is_judged_and_a_rise_is_never_flagged(series):
    guard = _guard()
    seen_high = None
    for value in series:
        flags = guard.check("EM-1", {"energy_import": value})
        if seen_high is None or value >= seen_high:
            assert flags == []
        else:
            assert len(flags) == 1 and flags[0].endswith(":energy_import")
        if not flags or not flags[0].startswith("backwards"):
            seen_high = value


def test_memory_is_written_in_groups_not_per_reading(tmp_path):
    now = [0.0]
    state = AgentState(tmp_path / "state.sqlite3", clock=lambda: now[0])
    state.remember("EM-1", {"energy_import": 1.0})
    assert AgentState(tmp_path / "state.sqlite3").last_value("EM-1", "energy_import") is None
    now[0] = 31.0
    state.remember("EM-1", {"energy_import": 2.0})
    assert AgentState(tmp_path / "state.sqlite3").last_value("EM-1", "energy_import") == 2.0
    state.close()


def test_a_reading_without_the_register_is_left_alone():
    assert _guard().check("EM-1", {"voltage": 230.0}) == []
