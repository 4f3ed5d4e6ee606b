"""The same tests against MemoryBroker and RedisBroker (real redis-server), see conftest.py."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from channels.broker import Broker, Cursor, Envelope, MemoryBroker, RedisBroker, broker_from_url, id_after, parse_id
from channels.errors import BrokerError, ConfigError
from channels.messages import SubtitleCue, SubtitlePartial
from tests.fixtures.services import RedisServer


def cue(seq: int, stream: str = "rat") -> SubtitleCue:
    return SubtitleCue(stream=stream, seq=seq, start=float(seq), end=seq + 0.9, lines=(f"Satz {seq}.",))


async def take(events: object, n: int, within: float = 10.0) -> list[Envelope]:
    got: list[Envelope] = []

    async def run() -> None:
        async for envelope in events:  # type: ignore[attr-defined]
            got.append(envelope)
            if len(got) >= n:
                return

    await asyncio.wait_for(run(), within)
    return got


def seqs(envelopes: list[Envelope]) -> list[int]:
    return [e.message.seq for e in envelopes]  # type: ignore[union-attr]


def test_ids_compare_like_redis_stream_ids() -> None:
    assert parse_id("1700000000000-12") == (1700000000000, 12)
    assert id_after("1700000000001-0", "1700000000000-99")
    assert not id_after("1700000000000-1", "1700000000000-1")
    assert id_after("5-0", None)
    with pytest.raises(BrokerError):
        parse_id("abc")


def test_cursor_moves_on_durable_ids_only() -> None:
    cursor = Cursor("100-5")
    assert not cursor.admit("100-5", durable=True)  # seen: the history/live overlap
    assert not cursor.admit("100-4", durable=True)
    # Non-durable ids are numbered per publisher (Redis) and do not belong to the durable order: a partial
    # with a high id must neither be dropped nor hide a durable message with a lower id that follows it.
    assert cursor.admit("100-50", durable=False)
    assert cursor.last == "100-5"
    assert cursor.admit("100-6", durable=True)
    assert cursor.last == "100-6"
    assert cursor.admit("100-6", durable=False)  # live-only: never seen before
    fresh = Cursor()
    assert fresh.admit("1-0", durable=True) and fresh.last == "1-0"


def test_broker_from_url() -> None:
    assert type(broker_from_url(None)).__name__ == "MemoryBroker"
    assert type(broker_from_url("memory://")).__name__ == "MemoryBroker"
    assert type(broker_from_url("redis://127.0.0.1:1/0")).__name__ == "RedisBroker"
    with pytest.raises(ConfigError, match="RATHAUS_BROKER_URL"):
        broker_from_url("kafka://x")


async def test_publish_returns_increasing_ids_and_keeps_history(broker: Broker) -> None:
    ids = [await broker.publish("subtitles:rat", cue(i)) for i in range(5)]
    assert all(id_after(b, a) for a, b in zip(ids, ids[1:], strict=False))
    history = await broker.history("subtitles:rat", count=3)
    assert seqs(history) == [2, 3, 4]
    assert [e.id for e in history] == ids[2:]
    assert await broker.history("subtitles:other") == []


async def test_non_durable_messages_are_live_only(broker: Broker) -> None:
    async with broker.subscribe("subtitles:rat") as events:
        await broker.publish("subtitles:rat", SubtitlePartial(stream="rat", text="Der An"), durable=False)
        await broker.publish("subtitles:rat", cue(1))
        got = await take(events, 2)
    assert isinstance(got[0].message, SubtitlePartial) and not got[0].durable
    assert seqs(await broker.history("subtitles:rat")) == [1]


async def test_partials_between_cues_neither_move_nor_hide_the_position(broker: Broker) -> None:
    ids = [await broker.publish("subtitles:rat", cue(i)) for i in range(2)]
    async with broker.subscribe("subtitles:rat", since=ids[0]) as events:
        await broker.publish("subtitles:rat", SubtitlePartial(stream="rat", text="Der"), durable=False)
        await broker.publish("subtitles:rat", cue(2))
        await broker.publish("subtitles:rat", SubtitlePartial(stream="rat", text="Die"), durable=False)
        await broker.publish("subtitles:rat", cue(3))
        got = await take(events, 5)
    kinds = [e.message.seq if e.durable else e.message.text for e in got]  # type: ignore[union-attr]
    assert kinds == [1, "Der", 2, "Die", 3]
    assert seqs(await broker.history_after("subtitles:rat", ids[0])) == [1, 2, 3]
    assert seqs(await broker.history_after("subtitles:rat", None)) == [0, 1, 2, 3]


async def test_a_lagging_subscriber_catches_up_from_history_without_gap(broker: Broker) -> None:
    small: Broker
    if isinstance(broker, MemoryBroker):
        small = MemoryBroker(history_size=100, queue_size=2)
    else:
        assert isinstance(broker, RedisBroker)
        small = RedisBroker(broker.url, history_size=100, queue_size=2, prefix=f"t{secrets.token_hex(4)}:")
    try:
        async with small.subscribe("subtitles:rat") as events:
            for i in range(10):  # the subscriber does not read: its queue of 2 overflows
                await small.publish("subtitles:rat", cue(i))
            await asyncio.sleep(0.2)  # Redis: let pub/sub deliver into the full queue
            got = await take(events, 10)
        assert seqs(got) == list(range(10))
    finally:
        await small.aclose()


async def test_subscribe_replays_last_n_then_live_without_gap_or_duplicate(broker: Broker) -> None:
    for i in range(10):
        await broker.publish("subtitles:rat", cue(i))
    async with broker.subscribe("subtitles:rat", replay=3) as events:
        publisher = asyncio.create_task(_publish_range(broker, 10, 20))
        got = await take(events, 13)
        await publisher
    assert seqs(got) == list(range(7, 20))


async def _publish_range(broker: Broker, start: int, stop: int) -> None:
    for i in range(start, stop):
        await broker.publish("subtitles:rat", cue(i))
        await asyncio.sleep(0)


async def test_subscribe_since_resumes_after_last_seen_id(broker: Broker) -> None:
    ids = [await broker.publish("subtitles:rat", cue(i)) for i in range(6)]
    async with broker.subscribe("subtitles:rat", since=ids[3]) as events:
        await broker.publish("subtitles:rat", cue(6))
        got = await take(events, 3)
    assert seqs(got) == [4, 5, 6]


async def test_live_only_subscription_gets_nothing_old(broker: Broker) -> None:
    await broker.publish("subtitles:rat", cue(0))
    async with broker.subscribe("subtitles:rat") as events:
        await broker.publish("subtitles:rat", cue(1))
        got = await take(events, 1)
    assert seqs(got) == [1]


async def test_topics_are_separate_and_subscribers_each_get_everything(broker: Broker) -> None:
    async with (
        broker.subscribe("subtitles:a") as a1,
        broker.subscribe("subtitles:a") as a2,
        broker.subscribe("subtitles:b") as b,
    ):
        await broker.publish("subtitles:a", cue(1, "a"))
        await broker.publish("subtitles:b", cue(2, "b"))
        assert seqs(await take(a1, 1)) == [1]
        assert seqs(await take(a2, 1)) == [1]
        assert seqs(await take(b, 1)) == [2]


async def test_history_is_bounded(broker: Broker) -> None:
    for i in range(250):
        await broker.publish("subtitles:long", cue(i))
    history = await broker.history("subtitles:long", count=1000)
    # MemoryBroker keeps exactly 100; Redis trims approximately (MAXLEN ~), never below 100.
    assert 100 <= len(history) < 250
    assert seqs(history)[-1] == 249


async def test_delete_forgets_history(broker: Broker) -> None:
    await broker.publish("chat:abc", cue(1))
    await broker.delete("chat:abc")
    assert await broker.history("chat:abc") == []


@pytest.mark.slow
async def test_redis_restart_mid_stream_loses_no_durable_message(redis_server: RedisServer) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    subscriber = RedisBroker(redis_server.url, prefix=prefix)
    publisher = RedisBroker(redis_server.url, prefix=prefix)
    try:
        async with subscriber.subscribe("subtitles:rat") as events:
            for i in range(3):
                await publisher.publish("subtitles:rat", cue(i))
            first = await take(events, 3)
            await asyncio.to_thread(redis_server.restart)
            # Published right after the restart, before the subscriber has re-subscribed: these
            # must come from the stream re-read, not from pub/sub.
            for i in range(3, 8):
                await publisher.publish("subtitles:rat", cue(i))
            rest = await take(events, 5, within=30)
        assert seqs(first) == [0, 1, 2]
        assert seqs(rest) == [3, 4, 5, 6, 7]
        assert await subscriber.ping()
    finally:
        await subscriber.aclose()
        await publisher.aclose()


@pytest.mark.slow
async def test_redis_publish_waits_for_a_restarting_server(redis_server: RedisServer) -> None:
    broker = RedisBroker(redis_server.url, prefix=f"t{secrets.token_hex(4)}:", publish_retry_s=15)
    try:
        redis_server.stop()
        restart = asyncio.get_running_loop().call_later(0.5, redis_server.start)
        msg_id = await broker.publish("subtitles:rat", cue(1))
        restart.cancel()
        assert [e.id for e in await broker.history("subtitles:rat")] == [msg_id]
    finally:
        if redis_server.process is None:
            redis_server.start()
        await broker.aclose()


async def test_unreachable_redis_gives_a_clear_broker_error() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0", publish_retry_s=0.2)
    try:
        assert not await broker.ping()
        with pytest.raises(BrokerError, match="redis-server"):
            await broker.publish("subtitles:rat", cue(1))
    finally:
        await broker.aclose()


async def test_memory_broker_forgets_idle_chat_topics() -> None:
    now = [1000.0]
    broker = MemoryBroker(retention={"chat:": 1}, clock=lambda: now[0])
    await broker.publish("chat:old", cue(1))
    await broker.publish("subtitles:rat", cue(1))
    now[0] += 10  # their last messages are 10 s old now
    for i in range(1000):
        await broker.publish("chat:new", cue(i))
    assert await broker.history("chat:old") == []
    assert len(await broker.history("subtitles:rat")) == 1  # only chat topics expire
    assert len(await broker.history("chat:new", count=5)) == 5
    await broker.aclose()
