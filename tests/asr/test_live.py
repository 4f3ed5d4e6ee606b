"""The one live pipeline (:class:`asr.core.pipeline.LiveSubtitler`): typed events, guard drops counted, and the
evaluation and the service producing the same cues from the same audio."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from asr.core.cues import CueBuilder
from asr.core.decoder import DecodedSegment, DecodeResult, Word
from asr.core.guards import DropReason
from asr.core.options import StreamOptions
from asr.core.pipeline import CueReady, LiveSubtitler, ProvisionalText, WordsCommitted, WordsDropped
from asr.core.sink import CollectingSink
from asr.core.streaming import StreamingTranscriber
from asr.live.service import ServiceOptions, SubtitleService
from channels.broker import MemoryBroker
from channels.messages import SubtitleCue
from channels.subtitle_sink import BrokerSink
from common.subtitles import Cue
from tests.asr.fakes import CodedDecoder, coded_audio, fake_factory, word_text
from tests.fixtures.asr import SpeechClip

SR = 16_000
NO_VAD = dataclasses.replace(StreamOptions(), vad=False, min_chunk_s=1.0)


class CreditsDecoder(CodedDecoder):
    """The coded words, plus a broadcaster credit Whisper likes to invent after them."""

    def decode(self, audio, *, prompt, options):  # type: ignore[no-untyped-def]
        result = super().decode(audio, prompt=prompt, options=options)
        end = result.words[-1].end if result.words else 0.0
        texts = "Untertitelung des ZDF.".split()
        credit = tuple(Word(t, end + 0.1 * i, end + 0.1 * (i + 1)) for i, t in enumerate(texts))
        return DecodeResult((*result.segments, DecodedSegment(credit)))


def test_events_are_typed_stamped_and_drops_counted() -> None:
    ticks = iter(range(1000))
    live = LiveSubtitler(StreamingTranscriber(CreditsDecoder(), NO_VAD), CueBuilder(), clock=lambda: next(ticks))
    audio = coded_audio(1, 12)
    events = []
    for i in range(0, audio.size, SR):
        live.push_audio(audio[i : i + SR])
        if live.ready():
            events += live.step()
    events += live.finish()
    committed = [w.text for e in events if isinstance(e, WordsCommitted) for w in e.words]
    assert committed == [word_text(k) for k in range(1, 13)]
    drops = [e for e in events if isinstance(e, WordsDropped)]
    assert drops and {d.reason for d in drops} == {DropReason.BLOCKLIST}
    assert all(d.drop.text == "Untertitelung des ZDF." for d in drops)
    assert live.drops[DropReason.BLOCKLIST] == len(drops)
    assert live.dropped_words[DropReason.BLOCKLIST] == 3 * len(drops)
    cues = [e.cue for e in events if isinstance(e, CueReady)]
    assert " ".join(w for c in cues for line in c.lines for w in line.split()) == " ".join(committed)
    assert any(isinstance(e, ProvisionalText) for e in events)
    # every event of one step carries that step's clock reading; the readings only grow
    stamps = [e.at for e in events]
    assert stamps == sorted(stamps)
    assert live.flush() == []  # finish() flushed the last cue already


async def test_service_counts_guard_drops_by_reason_in_prometheus() -> None:
    decoder = CreditsDecoder()
    async with SubtitleService(sink=CollectingSink(), factory=fake_factory(decoder)) as service:
        handle = await service.open_stream("rat")
        await handle.feed(coded_audio(1, 12))
        await handle.end()
    text = service.metrics.render().decode()
    line = next(x for x in text.splitlines() if x.startswith('rathaus_asr_guard_drops_total{reason="blocklist"}'))
    assert float(line.split()[-1]) >= 1
    assert 'rathaus_asr_guard_dropped_words_total{reason="blocklist"}' in text


@pytest.mark.slow
@pytest.mark.parametrize("decoder", ["ctranslate2", "faster-whisper"])
def test_eval_and_service_produce_identical_cues_on_the_real_model(
    german_speech_wav: SpeechClip, whisper_model_dir: Path, decoder: str
) -> None:
    """Same audio, same options, same step boundaries (one ``min_chunk_s`` of audio per step): the
    evaluation's simulated live path and the service publish the same cues, because both run the one
    LiveSubtitler. One CTranslate2 thread, so the decodes are bit-identical. Both live decoders."""
    from asr.core.options import ModelOptions
    from asr.eval.evaluate import simulate_live
    from asr.eval.synth import read_wav
    from asr.whisper.engine import live_transcriber, make_decoder
    from asr.whisper.model import get_shared_model

    model = get_shared_model(ModelOptions(cpu_threads=1))
    options = StreamOptions()
    audio = read_wav(german_speech_wav.path)

    # eval path: a compute-free clock, so every step sees exactly min_chunk_s of new audio
    run = simulate_live(audio, live_transcriber(make_decoder(model, decoder), options), CueBuilder(), timer=lambda: 0.0)

    # service path: the whole clip queued at once, taken in min_chunk_s slices, one step per slice
    def factory(stream: str, language: str):  # type: ignore[no-untyped-def]
        return live_transcriber(make_decoder(model, decoder), options), CueBuilder()

    async def serve() -> list[Cue]:
        broker = MemoryBroker()
        service_options = ServiceOptions(max_push_s=options.min_chunk_s)
        async with SubtitleService(sink=BrokerSink(broker), factory=factory, options=service_options) as service:
            handle = await service.open_stream("rat")
            await handle.feed(audio)
            await handle.end()
        history = await broker.history("subtitles:rat", count=1000)
        return [
            Cue(m.seq, m.start, m.end, tuple(m.lines))
            for m in (env.message for env in history)
            if isinstance(m, SubtitleCue)
        ]

    published = asyncio.run(serve())
    assert run.cues, "the eval path produced no cues"
    assert [(c.index, c.lines) for c in published] == [(c.index, tuple(c.lines)) for c in run.cues]
    assert np.allclose([(c.start, c.end) for c in published], [(c.start, c.end) for c in run.cues], atol=1e-3)
