from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.handoff import HandoffConflict, HandoffQueue, HandoffState
from channels.messages import HandoffEvent


def apply_all(queue: HandoffQueue, *events: HandoffEvent | None) -> None:
    for event in events:
        assert event is not None
        queue.apply(event)


def test_request_take_send_release() -> None:
    q = HandoffQueue()
    apply_all(q, q.request("s1", now=1.0, origin="A"))
    assert q.routes_to_staff("s1") and q.get("s1").state is HandoffState.WAITING  # type: ignore[union-attr]
    assert q.request("s1", now=2.0) is None  # already waiting
    apply_all(q, q.take("s1", staff="Frau Beispiel", now=3.0))
    assert q.check_assigned("s1", staff="Frau Beispiel").staff == "Frau Beispiel"
    with pytest.raises(HandoffConflict) as info:
        q.check_assigned("s1", staff="Herr Muster")
    assert info.value.code == "not_assigned"
    with pytest.raises(HandoffConflict) as info:
        q.take("s1", staff="Herr Muster", now=4.0)
    assert info.value.code == "already_taken"
    apply_all(q, q.release("s1", staff="Frau Beispiel", now=5.0))
    assert not q.routes_to_staff("s1") and q.get("s1") is None
    with pytest.raises(HandoffConflict) as info:
        q.take("s1", staff="x", now=6.0)
    assert info.value.code == "unknown_session"


def test_first_take_in_broker_order_wins() -> None:
    q = HandoffQueue()
    apply_all(q, q.request("s1", now=1.0))
    a = q.take("s1", staff="A", now=2.0)
    b = q.take("s1", staff="B", now=2.0)  # proposed concurrently on another instance
    assert q.apply(a) is not None
    assert q.apply(b) is None
    assert q.get("s1").staff == "A"  # type: ignore[union-attr]


def test_timeout_only_for_waiting_and_by_owner_first() -> None:
    q = HandoffQueue()
    apply_all(
        q,
        q.request("mine", now=0.0, origin="A"),
        q.request("theirs", now=0.0, origin="B"),
        q.request("taken", now=0.0, origin="A"),
    )
    apply_all(q, q.take("taken", staff="X", now=1.0))
    assert q.expire(now=50.0, timeout_s=60.0, origin="A") == []
    assert [e.session for e in q.expire(now=60.0, timeout_s=60.0, origin="A")] == ["mine"]
    # the other instance may be gone: after twice the timeout anyone announces it
    assert [e.session for e in q.expire(now=120.0, timeout_s=60.0, origin="A")] == ["mine", "theirs"]
    for event in q.expire(now=120.0, timeout_s=60.0, origin="A"):
        assert q.apply(event) is not None
    assert [c.session for c in q.open_conversations()] == ["taken"]
    # a late take after the timeout does nothing
    assert q.apply(HandoffEvent(session="mine", state="active", staff="Y", ts=121.0)) is None


def test_events_for_unknown_sessions_are_ignored_and_reopen_works() -> None:
    q = HandoffQueue()
    assert q.apply(HandoffEvent(session="x", state="ended", ts=1.0)) is None
    apply_all(q, q.request("x", now=1.0))
    apply_all(q, q.expire(now=500.0, timeout_s=1.0)[0])
    apply_all(q, q.request("x", now=600.0))
    assert q.get("x").waiting_since == 600.0  # type: ignore[union-attr]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "s3"]),
            st.sampled_from(["waiting", "active", "timeout", "ended"]),
            st.sampled_from([None, "A", "B"]),
        ),
        max_size=40,
    )
)
def test_fold_invariants_hold_for_any_event_order(events: list[tuple[str, str, str | None]]) -> None:
    q = HandoffQueue()
    for ts, (session, state, staff) in enumerate(events):
        q.apply(HandoffEvent(session=session, state=state, staff=staff, ts=float(ts)))  # type: ignore[arg-type]
        for c in q.open_conversations():
            assert c.state in (HandoffState.WAITING, HandoffState.ACTIVE)
            if c.state is HandoffState.WAITING:
                assert c.staff is None
        assert all(q.routes_to_staff(c.session) for c in q.open_conversations())


def test_cancel_and_position() -> None:
    q = HandoffQueue()
    apply_all(q, q.request("s1", now=1.0), q.request("s2", now=2.0), q.request("s3", now=3.0))
    assert [q.position(s) for s in ("s1", "s2", "s3")] == [1, 2, 3]
    apply_all(q, q.cancel("s1", now=4.0))
    assert not q.routes_to_staff("s1") and q.position("s2") == 1 and q.position("s1") is None
    apply_all(q, q.take("s2", staff="A", now=5.0))
    assert q.cancel("s2", now=6.0) is None  # a person already answers: nothing to withdraw
    assert q.position("s2") is None and q.position("s3") == 1
    # a cancel that crossed a take in broker order does not end the staff chat
    cancel = HandoffEvent(session="s3", state="ended", ts=7.0)
    apply_all(q, q.take("s3", staff="B", now=6.5))
    assert q.apply(cancel) is None and q.get("s3").state is HandoffState.ACTIVE  # type: ignore[union-attr]
