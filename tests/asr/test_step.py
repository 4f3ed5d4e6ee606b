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
from asr.whisper.step import (
    MAX_PROMPT_TRIM,
    MAX_WINDOW_SPREAD,
    BatchDecoder,
    _groups,
    _Plan,
    compression_ratio,
)
from asr.whisper.words import Timing, after_prefix, merge_punctuation
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


class _StubTokenizer:
    sot_sequence = (50258, 50261, 50359)
    sot_prev = 50361

    def decode(self, tokens: list[int]) -> str:
        return "".join(f"<{t}>" for t in tokens)


def _plan(index: int, window: int, previous: int) -> _Plan:
    tokenizer = _StubTokenizer()
    return _Plan(
        index=index,
        options=StreamOptions(),
        language="de",
        tokenizer=tokenizer,  # type: ignore[arg-type]
        features=np.zeros((80, window), dtype=np.float32),
        previous=[tokenizer.sot_prev, *range(1, previous)] if previous else [],
        start=[*tokenizer.sot_sequence, 50363],
        prefix_tokens=[7, 8],
        max_new=24,
        align_frames=window,
        samples=window * 160,
    )


def test_a_call_keeps_windows_and_prompt_lengths_close() -> None:
    plans = [_plan(0, 800, 40), _plan(1, 1000, 50), _plan(2, 1400, 45), _plan(3, 900, 10), _plan(4, 1500, 0)]
    groups = [[p.index for p in g] for g in _groups(plans)]
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 3, 4]
    for group in _groups(plans):
        windows = [p.features.shape[-1] for p in group]
        lengths = [len(p.previous) for p in group]
        assert max(windows) - min(windows) <= MAX_WINDOW_SPREAD
        assert max(lengths) - min(lengths) <= MAX_PROMPT_TRIM
    assert [0, 1] in groups  # 8 s and 10 s windows, 40 and 50 prompt tokens: one call


def test_prompts_of_a_call_start_the_transcript_at_the_same_position() -> None:
    long, short = _plan(0, 800, 30), _plan(1, 800, 20)
    keep = min(len(long.previous), len(short.previous))
    prompts = [long.prompt(keep), short.prompt(keep)]
    assert prompts[0].index(50258) == prompts[1].index(50258) == keep
    assert prompts[0][0] == prompts[1][0] == 50361  # still a previous-text prompt, its oldest tokens cut
    assert prompts[0][-2:] == [7, 8] and long.prompt(0)[0] == 50258
    assert long.cap == 2 + 24 - 1


def test_punctuation_joins_its_word_and_only_words_after_the_prefix_are_kept() -> None:
    timings = [
        Timing(" Guten", [1], 0.0, 0.4, 0.9),
        Timing(" Tag", [2], 0.4, 0.8, 0.9),
        Timing(",", [3], 0.8, 0.8, 0.9),
        Timing(" (", [4], 0.9, 0.9, 0.9),
        Timing("Herr", [5], 0.9, 1.2, 0.8),
        Timing(" Meier", [6, 7], 1.2, 1.6, 0.7),
    ]
    merge_punctuation(timings)
    assert [t.word for t in timings if t.word] == [" Guten", " Tag,", " (Herr", " Meier"]
    items = after_prefix(_StubTokenizer(), timings, 6, rounded=True)  # type: ignore[arg-type]
    # " Meier" straddles the prefix (its first token is committed): its new part stays
    assert items == [("<7>", 1.2, 1.6, 0.7)]
    assert [i[0] for i in after_prefix(_StubTokenizer(), timings, 1, rounded=True)] == [  # type: ignore[arg-type]
        " Tag,",
        " (Herr",
        " Meier",
    ]
