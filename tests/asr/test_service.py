"""The live service with a scripted decoder: fairness, publishing, flush on end, isolation of failures."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from asr.core.cues import validate_cues
from asr.core.sink import CollectingSink
from asr.live.service import ServiceOptions, StreamClosed, StreamExists, SubtitleService, TooManyStreams
from channels.broker import MemoryBroker
from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from channels.subtitle_sink import BrokerSink
from common.subtitles import Cue
from tests.asr.fakes import CodedDecoder, coded_audio, coded_pcm, fake_factory, word_text


async def _history(broker: MemoryBroker, stream: str) -> list:
    return [env.message for env in await broker.history(f"subtitles:{stream}", count=1000)]


def _cue_words(messages: list) -> list[str]:
    return [w for m in messages if isinstance(m, SubtitleCue) for line in m.lines for w in line.split()]


async def test_stream_publishes_started_cues_and_ended_in_order() -> None:
    broker = MemoryBroker()
    decoder = CodedDecoder()
    async with SubtitleService(sink=BrokerSink(broker), factory=fake_factory(decoder)) as service:
        live: list = []

        async def watch() -> None:
            async with broker.subscribe("subtitles:rat") as events:
                async for env in events:
                    live.append(env.message)
                    if isinstance(env.message, SubtitleStream) and env.message.state == "ended":
                        return

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0)
        handle = await service.open_stream("rat", origin=1_800_000_000.25)
        for i in range(0, 24, 4):
            await handle.feed(coded_pcm(1 + i, 4))
        summary = await handle.end()
        await asyncio.wait_for(watcher, 5)

    stored = await _history(broker, "rat")
    assert isinstance(stored[0], SubtitleStream) and stored[0].state == "started"
    assert stored[0].origin == 1_800_000_000.25  # the source's stream time 0, for players (docs/live.md)
    assert isinstance(stored[-1], SubtitleStream) and stored[-1].state == "ended"
    assert _cue_words(stored) == [word_text(k) for k in range(1, 25)]
    assert summary.state == "ended" and summary.cues == sum(isinstance(m, SubtitleCue) for m in stored)
    assert [m.seq for m in stored if isinstance(m, SubtitleCue)] == list(range(1, summary.cues + 1))
    # partials are live only: the subscriber saw them, the history does not keep them
    assert any(isinstance(m, SubtitlePartial) for m in live)
    assert not any(isinstance(m, SubtitlePartial) for m in stored)
    cues = [Cue(m.seq, m.start, m.end, m.lines) for m in stored if isinstance(m, SubtitleCue)]
    assert [v for v in validate_cues(cues) if v.severity == "error"] == []
    # decoding ran in the worker pool, never on the event loop's thread
    assert decoder.threads and all(name.startswith("asr-decode") for name in decoder.threads)


def _record(into: list[tuple[str, str]]) -> Callable[[str, str], None]:
    return lambda stream, job: into.append((stream, job))


async def test_round_robin_gives_every_ready_stream_a_turn() -> None:
    decoder = CodedDecoder(delay_s=0.01)
    options = ServiceOptions(num_workers=1, max_push_s=1.0)
    dispatched: list[tuple[str, str]] = []
    async with SubtitleService(
        sink=CollectingSink(), factory=fake_factory(decoder), options=options, on_dispatch=_record(dispatched)
    ) as service:
        handles = [await service.open_stream(name) for name in ("a", "b", "c")]
        for handle in handles:  # 12 s each, queued at once: 12 one-second slices per stream
            await handle.feed(coded_audio(1, 24))
        await asyncio.gather(*(h.end() for h in handles))
    steps = [sid for sid, job in dispatched if job == "step"]
    seen: Counter[str] = Counter()
    for sid in steps:
        seen[sid] += 1
        if min(len(seen), 3) == 3:
            assert max(seen.values()) - min(seen.values()) <= 1, f"unfair order: {steps}"
    assert set(seen.values()) == {12}


async def test_backlogged_stream_does_not_stall_the_others() -> None:
    decoder = CodedDecoder(delay_s=0.01)
    options = ServiceOptions(num_workers=1, max_push_s=1.0)
    log: list[tuple[str, str]] = []
    async with SubtitleService(
        sink=CollectingSink(), factory=fake_factory(decoder), options=options, on_dispatch=_record(log)
    ) as service:
        heavy = await service.open_stream("heavy")
        light = [await service.open_stream(name) for name in ("l1", "l2")]
        await heavy.feed(coded_audio(1, 50))  # 25 s backlog
        for handle in light:
            await handle.feed(coded_audio(100, 8))  # 4 s each
        await asyncio.gather(heavy.end(), *(h.end() for h in light))
    last_light = max(i for i, (sid, _) in enumerate(log) if sid != "heavy")
    # each light stream needs 4 slices + finish; interleaved they are done within the first 3 * 5 turns
    assert last_light < 15, log
    assert sum(1 for sid, _ in log if sid == "heavy") >= 25


async def test_failing_stream_keeps_its_cues_and_others_continue() -> None:
    broker = MemoryBroker()

    def fail_on(audio: np.ndarray) -> bool:  # words numbered >= 500 make the decoder crash
        return bool((np.rint(audio * 1000) >= 500).any())

    decoder = CodedDecoder(fail_on=fail_on)
    async with SubtitleService(sink=BrokerSink(broker), factory=fake_factory(decoder)) as service:
        good = await service.open_stream("good")
        async with broker.subscribe("subtitles:bad") as events:
            bad = await service.open_stream("bad")
            await bad.feed(coded_audio(1, 12))  # 6 s of words 1..12: two slices, decodes fine

            async def committed_some() -> None:  # the second decode publishes the uncommitted tail
                async for env in events:
                    if isinstance(env.message, SubtitlePartial) and word_text(12) in env.message.text:
                        return

            await asyncio.wait_for(committed_some(), 10)
        await good.feed(coded_audio(20, 12))
        await bad.feed(coded_audio(500, 4))  # now the decoder fails for 'bad'
        bad_summary = await bad.end()
        with pytest.raises(StreamClosed):
            await bad.feed(coded_pcm(1, 1))
        await good.feed(coded_audio(32, 6))
        good_summary = await good.end()
    assert bad_summary.state == "error" and "RuntimeError" in (bad_summary.detail or "")
    bad_history = await _history(broker, "bad")
    assert bad_history[-1] == SubtitleStream(stream="bad", state="error", detail=bad_history[-1].detail)
    words = _cue_words(bad_history)  # what was committed before the failure is published, in order
    assert len(words) >= 6 and words == [word_text(k) for k in range(1, len(words) + 1)]
    assert good_summary.state == "ended"
    assert _cue_words(await _history(broker, "good")) == [word_text(k) for k in range(20, 38)]


async def test_duplicate_and_too_many_streams_are_refused() -> None:
    options = ServiceOptions(max_streams=2)
    async with SubtitleService(sink=CollectingSink(), factory=fake_factory(CodedDecoder()), options=options) as svc:
        first = await svc.open_stream("one")
        with pytest.raises(StreamExists):
            await svc.open_stream("one")
        await svc.open_stream("two")
        with pytest.raises(TooManyStreams):
            await svc.open_stream("three")
        await first.end()
        await svc.open_stream("three")  # the slot is free again
        assert sorted(svc.streams) == ["three", "two"]


async def test_shutdown_flushes_open_streams() -> None:
    broker = MemoryBroker()
    async with SubtitleService(sink=BrokerSink(broker), factory=fake_factory(CodedDecoder())) as service:
        handle = await service.open_stream("rat")
        await handle.feed(coded_audio(1, 5))
    history = await _history(broker, "rat")
    assert _cue_words(history) == [word_text(k) for k in range(1, 6)]
    assert history[-1].state == "ended"


async def test_feed_waits_while_the_queue_is_full() -> None:
    decoder = CodedDecoder(delay_s=0.3)
    options = ServiceOptions(queue_s=2.0, max_push_s=1.0)
    dispatched: list[tuple[str, str]] = []
    async with SubtitleService(
        sink=CollectingSink(), factory=fake_factory(decoder), options=options, on_dispatch=_record(dispatched)
    ) as service:
        handle = await service.open_stream("rat")
        await handle.feed(coded_audio(1, 2))  # 1 s: goes to the (slow) decoder
        for _ in range(100):  # let the scheduler hand the first slice to a worker
            if dispatched:
                break
            await asyncio.sleep(0)
        assert dispatched
        await handle.feed(coded_audio(3, 4))  # 2 s queued while the decoder is busy: the queue is full
        blocked = asyncio.create_task(handle.feed(coded_audio(7, 2)))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not blocked.done()
        await asyncio.wait_for(blocked, 5)  # released once a slice went to the decoder
        await handle.end()


async def test_metrics_count_streams_cues_and_latency() -> None:
    async with SubtitleService(sink=CollectingSink(), factory=fake_factory(CodedDecoder())) as service:
        handle = await service.open_stream("rat")
        assert service.metrics.registry.get_sample_value("rathaus_asr_active_streams") == 1
        await handle.feed(coded_audio(1, 12))
        await handle.end()
        text = service.metrics.render().decode()
    assert "rathaus_asr_active_streams 0.0" in text
    assert "rathaus_asr_commit_latency_seconds_count 12.0" in text
    assert "rathaus_asr_cues_total" in text


async def test_source_failure_ends_with_error_state_after_the_cues() -> None:
    broker = MemoryBroker()
    async with SubtitleService(sink=BrokerSink(broker), factory=fake_factory(CodedDecoder())) as service:
        handle = await service.open_stream("hls")
        await handle.feed(coded_audio(1, 4))
        summary = await handle.end("Die Tonquelle ist nicht erreichbar.", failed=True)
    history = await _history(broker, "hls")
    assert summary.state == "error" and _cue_words(history) == [word_text(k) for k in range(1, 5)]
    assert history[-1] == SubtitleStream(stream="hls", state="error", detail="Die Tonquelle ist nicht erreichbar.")
