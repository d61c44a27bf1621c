import pytest

from simulators.barrier import LiveBarrier, SimulatedBarrier


async def test_a_pulse_lifts_the_barrier_for_a_while_and_is_recorded():
    board = LiveBarrier(SimulatedBarrier(unit_id=1, open_coil=1, open_input=2, up_s=60))
    board.switch(0, True)  # another relay: the barrier stays down
    assert not board.barrier_up and board.pulses == []
    board.switch(1, True)
    assert board.barrier_up and len(board.pulses) == 1
    board.switch(1, True)  # another open while up: counted, the barrier stays up
    assert board.barrier_up and len(board.pulses) == 2
    assert board.inputs()[2] is True


async def test_discrete_inputs_are_served_as_bits_of_words():
    board = LiveBarrier(SimulatedBarrier(unit_id=1, loop_input=3))
    board.vehicle_on_loop = True
    words = [0]
    await board.act(2, 0, 0, 1, words, None)
    assert words == [1 << 3]


@pytest.mark.parametrize(
    "kwargs", [{"unit_id": 0}, {"unit_id": 1, "open_coil": 16}, {"unit_id": 1, "loop_input": -1}]
)
def test_boards_refuse_impossible_wiring(kwargs):
    with pytest.raises(ValueError):
        SimulatedBarrier(**kwargs)
