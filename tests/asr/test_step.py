"""Our own decode step on CTranslate2 (asr/whisper/step.py) on the real Whisper base model: the same text and
word times as the faster-whisper path, batched steps with several streams, one bad stream in a batch."""

from __future__ import annotations

import numpy as np
import pytest

from asr.core.decoder import DecodeRequest, DecodeResult
from asr.core.options import ModelOptions, StreamOptions
from asr.core.textnorm import normalize
from asr.errors import AudioError
from asr.eval.synth import read_wav
from asr.whisper.engine import WhisperDecoder, make_decoder
from asr.whisper.model import get_shared_model
from asr.whisper.step import BatchDecoder, compression_ratio
from tests.fixtures.asr import SpeechClip

MODEL = ModelOptions(cpu_threads=2)
SR = 16_000


def test_compression_ratio_flags_loops() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("Die Sitzung ist eröffnet.") < 1.5
    assert compression_ratio("ja ja " * 40) > 2.4


@pytest.fixture(scope="module")
def decoders(whisper_model_dir: object) -> tuple[WhisperDecoder, BatchDecoder]:
    model = get_shared_model(MODEL)
    old, new = make_decoder(model, "faster-whisper"), make_decoder(model, "ctranslate2")
    assert isinstance(old, WhisperDecoder) and isinstance(new, BatchDecoder)
    return old, new


@pytest.mark.slow
def test_new_decode_step_gives_the_old_paths_words_and_times(
    german_speech_wav: SpeechClip, decoders: tuple[WhisperDecoder, BatchDecoder]
) -> None:
    old, new = decoders
    audio = read_wav(german_speech_wav.path)
    options = StreamOptions()
    for buffer in (audio[: 7 * SR], audio[2 * SR : 11 * SR]):
        plain_old = old.decode(buffer, prompt="", options=options)
        plain_new = new.decode(buffer, prompt="", options=options)
        assert plain_new.text == plain_old.text and len(plain_new.words) >= 5
        times_old = [t for w in plain_old.words for t in (w.start, w.end)]
        assert [t for w in plain_new.words for t in (w.start, w.end)] == pytest.approx(times_old)
        assert plain_new.segments[0].avg_logprob == pytest.approx(plain_old.segments[0].avg_logprob, abs=1e-4)
        # with a prompt and the committed words forced as prefix (the live default)
        head = " ".join(w.text for w in plain_old.words[:3])
        after_old = old.decode(buffer, prompt="Guten Abend.", options=options, prefix=head)
        after_new = new.decode(buffer, prompt="Guten Abend.", options=options, prefix=head)
        assert after_new.prefixed and after_new.text == after_old.text and after_new.words
        assert [w.start for w in after_new.words] == pytest.approx([w.start for w in after_old.words])


@pytest.mark.slow
def test_batched_step_gives_each_stream_its_own_words(
    german_speech_wav: SpeechClip, decoders: tuple[WhisperDecoder, BatchDecoder]
) -> None:
    _old, new = decoders
    audio = read_wav(german_speech_wav.path)
    options = StreamOptions()
    first, second = audio[: 6 * SR], audio[6 * SR : 12 * SR]
    silent = np.zeros(3 * SR, dtype=np.float32)
    alone = [new.decode(a, prompt="", options=options) for a in (first, second)]
    head = " ".join(w.text for w in alone[0].words[:2])
    requests = [
        DecodeRequest(first, "", options),
        DecodeRequest(second, "", options),
        DecodeRequest(first, "Die Sitzung ist eröffnet.", options, prefix=head),
        DecodeRequest(silent, "", options),
    ]
    results = new.decode_batch(requests)
    assert all(isinstance(r, DecodeResult) for r in results)
    one, two, prefixed, quiet = results
    assert isinstance(one, DecodeResult) and isinstance(two, DecodeResult) and isinstance(prefixed, DecodeResult)
    # each stream gets the words of its own audio: padding to the longest window may change a word, not the text
    for got, own, other in ((one, alone[0], alone[1]), (two, alone[1], alone[0])):
        mine = set(normalize(got.text).split())
        assert len(mine & set(normalize(own.text).split())) >= 0.8 * len(mine)
        assert len(mine & set(normalize(other.text).split())) <= 0.5 * len(mine)
    assert prefixed.prefixed and prefixed.words
    assert normalize(prefixed.words[0].text) != normalize(alone[0].words[0].text)
    # Whisper invents words on silence alone too; they come out unsure, for the guards to drop
    assert isinstance(quiet, DecodeResult)
    assert not quiet.words or quiet.segments[0].avg_logprob < options.guards.logprob_threshold
    assert new.batches >= 1


@pytest.mark.slow
def test_bad_audio_fails_only_its_own_request(
    german_speech_wav: SpeechClip, decoders: tuple[WhisperDecoder, BatchDecoder]
) -> None:
    _old, new = decoders
    audio = read_wav(german_speech_wav.path)[: 6 * SR]
    options = StreamOptions()
    broken = audio.copy()
    broken[100] = np.nan
    stereo = np.stack([audio, audio])
    results = new.decode_batch(
        [DecodeRequest(audio, "", options), DecodeRequest(broken, "", options), DecodeRequest(stereo, "", options)]
    )
    assert isinstance(results[0], DecodeResult) and len(results[0].words) >= 5
    assert isinstance(results[1], AudioError) and "NaN" in str(results[1])
    assert isinstance(results[2], AudioError)
    with pytest.raises(AudioError):
        new.decode(broken, prompt="", options=options)
    assert new.decode(np.zeros(0, dtype=np.float32), prompt="", options=options) == DecodeResult()
