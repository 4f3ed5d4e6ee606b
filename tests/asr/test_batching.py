"""Batch steps (asr/live/batching.py) and the service's batch rounds, with a scripted batch decoder."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from asr.core.cues import CueBuilder
from asr.core.decoder import DecodeRequest, DecodeResult
from asr.core.options import StreamOptions
from asr.core.sink import CollectingSink
from asr.core.streaming import StreamingTranscriber
from asr.live.batching import DecodeRound, GatheringDecoder
from asr.live.service import ServiceOptions, SubtitleService
from tests.asr.fakes import CodedDecoder, coded_audio, word_text


class CodedBatchDecoder:
    """:class:`CodedDecoder` with a batch call: records the size of every batch; ``fail_on`` fails one request."""

    accepts_prefix = False

    def __init__(self, fail_on: Callable[[np.ndarray], bool] | None = None) -> None:
        self.inner = CodedDecoder(fail_on=fail_on)
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult:
        return self.inner.decode(audio, prompt=prompt, options=options)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult | Exception]:
        with self._lock:
            self.batches.append(len(requests))
        results: list[DecodeResult | Exception] = []
        for r in requests:
            try:
                results.append(self.inner.decode(r.audio, prompt=r.prompt, options=r.options))
            except Exception as exc:  # noqa: BLE001 - as BatchDecoder: per request
                results.append(exc)
        return results


OPTIONS = dataclasses.replace(StreamOptions(), vad=False, min_chunk_s=1.0)


def _in_threads(round_: DecodeRound, gather: GatheringDecoder, jobs: list[Callable[[], object]]) -> list[object]:
    out: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        with gather.joined(round_):
            try:
                out[i] = jobs[i]()
            except Exception as exc:  # noqa: BLE001
                out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_members_of_a_round_share_one_batch_call_and_get_their_own_words() -> None:
    batch = CodedBatchDecoder()
    gather = GatheringDecoder(batch)
    round_ = DecodeRound(batch, 3, max_wait_s=5.0)
    audios = [np.concatenate([coded_audio(10 * i + 1, 3), np.zeros(1600, np.float32)]) for i in range(3)]
    jobs = [lambda a=a: gather.decode(a, prompt="", options=OPTIONS) for a in audios]
    results = _in_threads(round_, gather, jobs)
    assert batch.batches == [3] and round_.batches == [3]
    for i, result in enumerate(results):
        assert isinstance(result, DecodeResult)
        assert result.text == " ".join(word_text(10 * i + k) for k in range(1, 4))


def test_a_member_that_does_not_decode_does_not_hold_up_the_round() -> None:
    batch = CodedBatchDecoder()
    gather = GatheringDecoder(batch)
    round_ = DecodeRound(batch, 2, max_wait_s=5.0)  # no timer fires: the leaving member releases the other
    audio = np.concatenate([coded_audio(1, 2), np.zeros(1600, np.float32)])
    results = _in_threads(round_, gather, [lambda: gather.decode(audio, prompt="", options=OPTIONS), lambda: None])
    assert isinstance(results[0], DecodeResult) and results[0].text == "wort1 wort2"
    assert batch.batches == [1]


def test_one_failing_request_fails_only_its_member() -> None:
    batch = CodedBatchDecoder(fail_on=lambda a: bool((np.rint(a * 1000) >= 500).any()))
    gather = GatheringDecoder(batch)
    round_ = DecodeRound(batch, 2, max_wait_s=5.0)
    good = np.concatenate([coded_audio(1, 2), np.zeros(1600, np.float32)])
    bad = np.concatenate([coded_audio(500, 2), np.zeros(1600, np.float32)])
    results = _in_threads(
        round_,
        gather,
        [lambda a=a: gather.decode(a, prompt="", options=OPTIONS) for a in (good, bad)],
    )
    assert isinstance(results[0], DecodeResult) and results[0].text == "wort1 wort2"
    assert isinstance(results[1], RuntimeError)
    assert batch.batches == [2]


def test_a_broken_batch_call_reaches_every_member_as_an_exception() -> None:
    class Broken(CodedBatchDecoder):
        def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult | Exception]:
            raise MemoryError("out of memory")

    gather = GatheringDecoder(Broken())
    round_ = DecodeRound(gather.decoder, 2, max_wait_s=5.0)
    audio = coded_audio(1, 2)
    results = _in_threads(round_, gather, [lambda: gather.decode(audio, prompt="", options=OPTIONS)] * 2)
    assert all(isinstance(r, MemoryError) for r in results)


def test_outside_a_round_the_gathering_decoder_decodes_alone() -> None:
    batch = CodedBatchDecoder()
    gather = GatheringDecoder(batch)
    result = gather.decode(np.concatenate([coded_audio(7, 2), np.zeros(1600, np.float32)]), prompt="", options=OPTIONS)
    assert result.text == "wort7 wort8" and batch.batches == []


def _factory(decoder: object):  # type: ignore[no-untyped-def]
    def factory(stream: str, language: str):  # type: ignore[no-untyped-def]
        return StreamingTranscriber(decoder, options=OPTIONS), CueBuilder()  # type: ignore[arg-type]

    return factory


def _cue_words(sink: CollectingSink, stream: str) -> list[str]:
    return [w for cue in sink.cues(stream) for line in cue.lines for w in line.split()]


def _last_state(sink: CollectingSink, stream: str) -> object:
    return [p for kind, s, p in sink.events if kind == "state" and s == stream][-1][0]  # type: ignore[index]


async def _run(batch_size: int, decoder: CodedBatchDecoder, audio: dict[str, np.ndarray]) -> CollectingSink:
    sink = CollectingSink()
    gather = GatheringDecoder(decoder)
    options = ServiceOptions(batch_size=batch_size, max_streams=8)
    async with SubtitleService(sink=sink, factory=_factory(gather), options=options, batcher=gather) as service:
        handles = {sid: await service.open_stream(sid) for sid in audio}
        for start in range(0, max(a.size for a in audio.values()), 8000):
            for sid, handle in handles.items():
                piece = audio[sid][start : start + 8000]
                if piece.size and not handle.closed:
                    await handle.feed(piece)
        for handle in handles.values():
            await handle.end()
        if batch_size > 1:
            assert max(service.rounds) > 1  # streams did share rounds
    return sink


async def test_service_batch_rounds_give_every_stream_the_same_cues_as_alone() -> None:
    audio = {f"s{i}": coded_audio(100 * i + 1, 20) for i in range(1, 4)}
    alone = await _run(1, CodedBatchDecoder(), audio)
    decoder = CodedBatchDecoder()
    batched = await _run(3, decoder, audio)
    assert max(decoder.batches) > 1
    for sid in audio:
        expected = [word_text(k) for k in range(100 * int(sid[1]) + 1, 100 * int(sid[1]) + 21)]
        assert _cue_words(alone, sid) == expected
        assert _cue_words(batched, sid) == expected
        assert [c.lines for c in batched.cues(sid)] == [c.lines for c in alone.cues(sid)]


async def test_service_batch_round_with_a_failing_stream_ends_only_that_stream() -> None:
    decoder = CodedBatchDecoder(fail_on=lambda a: bool((np.rint(a * 1000) >= 500).any()))
    audio = {"good": coded_audio(1, 16), "bad": coded_audio(500, 16), "fine": coded_audio(200, 16)}
    sink = await _run(3, decoder, audio)
    assert _last_state(sink, "bad") == "error"
    assert _last_state(sink, "good") == "ended" and _last_state(sink, "fine") == "ended"
    assert _cue_words(sink, "good") == [word_text(k) for k in range(1, 17)]
    assert _cue_words(sink, "fine") == [word_text(k) for k in range(200, 216)]


def test_service_options_bound_the_batch() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ServiceOptions(batch_size=0)
