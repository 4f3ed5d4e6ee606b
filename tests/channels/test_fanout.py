from __future__ import annotations

import asyncio
import json

from channels.broker import MemoryBroker
from channels.fanout import Fanout
from channels.messages import SubtitleCue, SubtitlePartial


def cue(seq: int) -> SubtitleCue:
    return SubtitleCue(stream="rat", seq=seq, start=float(seq), end=seq + 0.9, lines=(f"Satz {seq}.",))


class Collector:
    def __init__(self, want: int) -> None:
        self.frames: list[dict[str, object]] = []
        self.want = want
        self.done = asyncio.Event()

    async def send(self, text: str) -> None:
        self.frames.append(json.loads(text))
        if sum(1 for f in self.frames if f["type"] == "subtitle.cue") >= self.want:
            self.done.set()

    def seqs(self) -> list[object]:
        return [f["seq"] for f in self.frames if f["type"] == "subtitle.cue"]


async def start(fanout: Fanout, send, since=None):  # type: ignore[no-untyped-def]
    viewer = fanout.attach("rat")
    viewer.task = asyncio.create_task(fanout.relay(viewer, send, since=since))
    return viewer


async def test_slow_viewer_is_dropped_without_delaying_others() -> None:
    broker = MemoryBroker()
    fanout = Fanout(broker, queue_size=5, replay=0)
    fast = [Collector(50) for _ in range(3)]
    viewers = [await start(fanout, c.send) for c in fast]
    never = asyncio.Event()

    async def stuck(_: str) -> None:
        await never.wait()  # a client that never reads: send never completes

    slow = await start(fanout, stuck)
    await asyncio.sleep(0)  # let relays reach their queues
    for i in range(50):
        await broker.publish("subtitles:rat", cue(i))
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in fast)), 5)
    assert all(c.seqs() == list(range(50)) for c in fast)
    assert slow.overflowed
    assert slow.task is not None
    await asyncio.wait({slow.task}, timeout=5)
    assert slow.task.cancelled()
    assert fanout.subscriptions() == 1  # one broker subscription for all viewers of the stream
    for v in [*viewers, slow]:
        v.task.cancel()  # type: ignore[union-attr]
        await fanout.detach(v)
    assert fanout.subscriptions() == 0 and fanout.viewer_count() == 0
    await broker.aclose()


async def test_new_viewer_gets_history_then_live_with_ids() -> None:
    broker = MemoryBroker()
    fanout = Fanout(broker, queue_size=100, replay=3)
    ids = [await broker.publish("subtitles:rat", cue(i)) for i in range(5)]
    history = Collector(3)
    collector = Collector(5)

    async def send(text: str) -> None:
        await history.send(text)
        await collector.send(text)

    viewer = await start(fanout, send)
    await asyncio.wait_for(history.done.wait(), 5)
    for i in range(5, 7):
        await broker.publish("subtitles:rat", cue(i))
    await broker.publish("subtitles:rat", SubtitlePartial(stream="rat", text="Der"), durable=False)
    await asyncio.wait_for(collector.done.wait(), 5)
    assert collector.seqs() == [2, 3, 4, 5, 6]
    assert collector.frames[0]["id"] == ids[2]
    viewer.task.cancel()  # type: ignore[union-attr]
    await fanout.detach(viewer)

    resumed = Collector(3)
    viewer = await start(fanout, resumed.send, since=ids[3])
    await asyncio.wait_for(resumed.done.wait(), 5)
    assert resumed.seqs() == [4, 5, 6]
    viewer.task.cancel()  # type: ignore[union-attr]
    await fanout.detach(viewer)
    await fanout.aclose()
    await broker.aclose()


class CountingBroker(MemoryBroker):
    """The real in-process broker, counting history reads (what a join burst costs the broker)."""

    def __init__(self) -> None:
        super().__init__()
        self.history_reads = 0

    async def history(self, topic: str, *, count: int = 100) -> list:  # type: ignore[type-arg]
        self.history_reads += 1
        return await super().history(topic, count=count)

    async def history_after(self, topic: str, since: str | None) -> list:  # type: ignore[type-arg]
        self.history_reads += 1
        return await super().history_after(topic, since)


async def test_300_viewers_joining_at_once_cost_one_history_read() -> None:
    broker = CountingBroker()
    for i in range(8):
        await broker.publish("subtitles:rat", cue(i))
    fanout = Fanout(broker, queue_size=100, replay=200)
    collectors = [Collector(9) for _ in range(300)]
    viewers = [await start(fanout, c.send) for c in collectors]
    await broker.publish("subtitles:rat", cue(8))
    await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in collectors)), 10)
    assert all(c.seqs() == list(range(9)) for c in collectors)
    # One ring read and the subscription's own read after the ring, whatever the number of viewers.
    assert broker.history_reads == 2 and fanout.subscriptions() == 1
    for v in viewers:
        v.task.cancel()  # type: ignore[union-attr]
        await fanout.detach(v)
    await broker.aclose()


async def test_since_older_than_the_ring_reads_the_broker() -> None:
    broker = CountingBroker()
    ids = [await broker.publish("subtitles:rat", cue(i)) for i in range(20)]
    fanout = Fanout(broker, queue_size=100, replay=3, ring=5)
    recent = Collector(3)
    viewer = await start(fanout, recent.send, since=ids[16])  # within the ring: no extra read
    await asyncio.wait_for(recent.done.wait(), 5)
    assert recent.seqs() == [17, 18, 19] and broker.history_reads == 2  # the ring and the subscription
    old = Collector(17)
    other = await start(fanout, old.send, since=ids[2])  # before the ring: this viewer reads the broker
    await asyncio.wait_for(old.done.wait(), 5)
    assert old.seqs() == list(range(3, 20)) and broker.history_reads == 3
    for v in (viewer, other):
        v.task.cancel()  # type: ignore[union-attr]
        await fanout.detach(v)
    await broker.aclose()
