"""The one loop that folds a shared topic (hand-off queue, callback requests, staff presence)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from channels.broker import Broker, Envelope, FoldMark, MemoryBroker, fold_topic
from channels.errors import BrokerError
from channels.handoff import ClientQuota
from channels.messages import CallbackEvent, StaffPresence


def _event(id: str) -> CallbackEvent:
    return CallbackEvent(id=id, state="open", name="N", contact="123", ts=1.0)


class _Folded:
    def __init__(self) -> None:
        self.rebuilds: list[list[str]] = []
        self.applied: list[str] = []
        self.rebuilt = asyncio.Event()

    async def rebuild(self, backlog: Sequence[Envelope]) -> None:
        self.rebuilds.append([e.message.id for e in backlog if isinstance(e.message, CallbackEvent)])
        self.rebuilt.set()

    async def apply(self, envelope: Envelope) -> None:
        if isinstance(envelope.message, CallbackEvent):
            self.applied.append(envelope.message.id)


async def test_history_is_rebuilt_quietly_then_each_newer_event_is_applied_once(broker: Broker) -> None:
    await broker.publish("t", _event("a"))
    await broker.publish("t", _event("b"))
    state, mark = _Folded(), FoldMark()
    task = asyncio.create_task(
        fold_topic(broker, "t", history=100, rebuild=state.rebuild, apply=state.apply, folded=mark, name="test")
    )
    try:
        await asyncio.wait_for(state.rebuilt.wait(), 5)
        await mark.wait(await broker.publish("t", _event("c")))  # read-your-writes: folded before we go on
        assert state.rebuilds == [["a", "b"]]
        assert state.applied == ["c"]  # old events are not applied again
    finally:
        task.cancel()


class _FlakyBroker(MemoryBroker):
    """Fails the first ``failures`` history reads, as a Redis that is not reachable yet."""

    def __init__(self, failures: int) -> None:
        super().__init__(history_size=100)
        self.failures = failures

    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        if self.failures:
            self.failures -= 1
            raise BrokerError("redis gone")
        return await super().history(topic, count=count)


async def test_a_failed_read_is_retried_with_backoff_and_the_state_rebuilt() -> None:
    broker = _FlakyBroker(failures=2)
    await broker.publish("t", _event("a"))
    state = _Folded()
    task = asyncio.create_task(fold_topic(broker, "t", history=100, rebuild=state.rebuild, apply=state.apply, name="x"))
    try:
        await asyncio.wait_for(state.rebuilt.wait(), 5)
        assert broker.failures == 0 and state.rebuilds == [["a"]]
    finally:
        task.cancel()
        await broker.aclose()


async def test_live_only_topic_applies_what_comes_after_subscribing() -> None:
    broker = MemoryBroker(history_size=10)
    seen: list[int] = []

    async def apply(envelope: Envelope) -> None:
        if isinstance(envelope.message, StaffPresence):
            seen.append(envelope.message.staff)

    task = asyncio.create_task(fold_topic(broker, "presence", history=None, apply=apply, name="x"))
    try:
        async with asyncio.timeout(5):
            while not seen:
                await broker.publish("presence", StaffPresence(instance="i", staff=2), durable=False)
                await asyncio.sleep(0.02)
        assert set(seen) == {2}
    finally:
        task.cancel()
        await broker.aclose()


def test_client_quota_counts_waiting_conversations_per_address() -> None:
    quota = ClientQuota(limit=2)
    assert quota.admit("1.2.3.4", "s1") and quota.admit("1.2.3.4", "s2")
    assert not quota.admit("1.2.3.4", "s3")  # at the limit: refused and not counted
    assert quota.admit("5.6.7.8", "s4")  # another address has its own count
    quota.left_waiting("s1")
    assert quota.waiting("1.2.3.4") == 1 and quota.admit("1.2.3.4", "s3")
    quota.left_waiting("unknown")  # a conversation queued by another instance: nothing to do
