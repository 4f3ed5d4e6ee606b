"""The Rasa call admission core: a few calls in flight, the rest in arrival order (data only)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from channels.admission import Admission, Admitted, Queued, Refused


def test_calls_over_the_limit_wait_in_order_and_get_freed_slots() -> None:
    gate: Admission[str] = Admission(limit=2, max_waiting=2)
    assert gate.request("a") == Admitted() and gate.request("b") == Admitted()
    assert gate.request("c") == Queued(position=1)
    assert gate.request("d") == Queued(position=2)
    assert gate.request("e") == Refused(waiting=2)
    assert gate.release() == "c"  # the slot passes on
    assert gate.in_flight == 2 and gate.waiting == 1
    assert gate.withdraw("d") and not gate.withdraw("d")
    assert gate.release() is None and gate.in_flight == 1


def test_a_new_call_never_overtakes_a_waiting_one() -> None:
    gate: Admission[str] = Admission(limit=1, max_waiting=5)
    gate.request("a")
    assert gate.request("b") == Queued(position=1)
    assert gate.release() == "b"
    assert gate.request("c") == Queued(position=1)  # b holds the slot now


@given(st.lists(st.sampled_from(["request", "release", "withdraw"]), max_size=200))
def test_never_more_in_flight_than_the_limit_and_fifo(ops: list[str]) -> None:
    gate: Admission[int] = Admission(limit=3, max_waiting=4)
    queued: list[int] = []
    admitted: list[int] = []
    for n, op in enumerate(ops):
        if op == "request":
            result = gate.request(n)
            if isinstance(result, Queued):
                queued.append(n)
                assert result.position == len(queued)
        elif op == "release" and gate.in_flight:
            woken = gate.release()
            if woken is not None:
                assert woken == queued.pop(0)  # first come, first served
                admitted.append(woken)
        elif op == "withdraw" and queued:
            assert gate.withdraw(queued.pop())
        assert 0 <= gate.in_flight <= 3 and gate.waiting == len(queued) <= 4
        assert not queued or gate.in_flight == 3  # nobody waits while a slot is free
