"""Commit policy of the streaming core, driven by scripted decoders (no model)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr.core.decoder import DecodedSegment, DecodeResult, Word
from asr.core.guards import DropReason, GuardDrop, normalize_word
from asr.core.options import GuardOptions, StreamOptions
from asr.core.streaming import Committed, EnergySpeechDetector, Partial, StreamingTranscriber
from asr.errors import AudioError
from tests.fixtures.asr import ScriptedDecoder

SR = 16_000
NO_FORCE = StreamOptions(vad=False, max_commit_delay_s=1000.0, max_commit_delay_any_s=1000.0, min_commit_context_s=0.0)


def words(*texts: str, start: float = 0.0, dur: float = 0.4, gap: float = 0.1, p: float = 0.9) -> list[Word]:
    out = []
    t = start
    for text in texts:
        out.append(Word(text, t, t + dur, p))
        t += dur + gap
    return out


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def make(script, options=NO_FORCE, **kwargs):  # type: ignore[no-untyped-def]
    decoder = ScriptedDecoder(script)
    transcriber = StreamingTranscriber(decoder, options, **kwargs)
    decoder.clock = lambda: transcriber.buffer_start
    return decoder, transcriber


def run_step(transcriber: StreamingTranscriber, audio: np.ndarray) -> list:
    transcriber.push_audio(audio)
    assert transcriber.ready()
    return transcriber.step()


def committed_text(events) -> str:  # type: ignore[no-untyped-def]
    return " ".join(e.text for e in events if isinstance(e, Committed))


def test_commits_only_the_prefix_two_hypotheses_agree_on() -> None:
    _, tr = make(
        [
            words("Guten", "Abend"),
            words("Guten", "Abend,", "meine"),
            words("Guten", "Abend,", "meine", "Damen"),
        ]
    )
    first = run_step(tr, tone(1.0))
    assert first == [Partial("Guten Abend", 0.0, 0.9)]
    second = run_step(tr, tone(1.0))
    assert committed_text(second) == "Guten Abend,"  # punctuation may differ, the newer form is kept
    assert [e.text for e in second if isinstance(e, Partial)] == ["meine"]
    third = run_step(tr, tone(1.0))
    assert committed_text(third) == "meine"
    assert [e.text for e in third if isinstance(e, Partial)] == ["Damen"]


def test_disagreeing_words_are_not_committed() -> None:
    _, tr = make([words("Die", "Seezung"), words("Die", "Sitzung"), words("Die", "Sitzung", "ist")])
    run_step(tr, tone(1.0))
    assert committed_text(run_step(tr, tone(1.0))) == "Die"
    assert committed_text(run_step(tr, tone(1.0))) == "Sitzung"


def test_latency_bound_commits_an_old_word_whose_tail_keeps_changing() -> None:
    options = StreamOptions(vad=False, max_commit_delay_s=2.0, force_commit_min_probability=0.5)
    script = [[Word(f"x{k}", 0.0, 0.5, 0.9), Word(f"y{k}", 0.6, 0.9, 0.9)] for k in range(5)]
    _, tr = make(script, options)
    assert committed_text(run_step(tr, tone(1.0))) == ""
    assert committed_text(run_step(tr, tone(1.0))) == ""  # horizon 0.0 < 0.5
    third = run_step(tr, tone(1.0))  # horizon 1.0: both words are older than 2 s
    assert committed_text(third) == "x2 y2"


def test_latency_bound_waits_longer_for_unsure_words() -> None:
    options = StreamOptions(
        vad=False, max_commit_delay_s=1.0, force_commit_min_probability=0.5, max_commit_delay_any_s=3.0
    )
    script = [[Word(f"x{k}", 0.0, 0.5, 0.2)] for k in range(5)]
    _, tr = make(script, options)
    for _ in range(3):
        assert committed_text(run_step(tr, tone(1.0))) == ""  # old enough for sure words, not for unsure
    assert committed_text(run_step(tr, tone(1.0))) == "x3"  # 3.5 s old: committed whatever it says


def test_pause_commits_the_stable_hypothesis_and_silence_is_not_decoded() -> None:
    decoder, tr = make(
        [words("Das", "ist"), words("Das", "ist", "gut.")],
        StreamOptions(max_commit_delay_s=1000.0, max_commit_delay_any_s=1000.0),
        speech_detector=EnergySpeechDetector(),
    )
    run_step(tr, tone(1.0))
    events = run_step(tr, np.zeros(SR, dtype=np.float32))
    assert committed_text(events) == "Das ist gut."
    assert events[-1] == Partial("", 2.0, 2.0)
    calls = decoder.calls
    for _ in range(5):
        assert run_step(tr, np.zeros(SR, dtype=np.float32)) == []
    assert decoder.calls == calls
    assert tr.buffer_seconds <= tr.options.silence_keep_s + 1e-9


def test_vad_without_a_detector_is_refused() -> None:
    # the pure core never loads a speech engine on its own: the caller brings the VAD
    with pytest.raises(ValueError, match="speech_detector"):
        StreamingTranscriber(ScriptedDecoder([]), StreamOptions(vad=True))


def test_silence_only_emits_nothing_with_silero_vad() -> None:
    from asr.whisper.engine import SileroSpeechDetector

    decoder, tr = make(
        [words("Untertitel", "im", "Auftrag", "des", "ZDF")], StreamOptions(), speech_detector=SileroSpeechDetector()
    )
    events = []
    for _ in range(6):
        events += run_step(tr, np.zeros(SR, dtype=np.float32))
    events += tr.finish()
    assert events == []
    assert decoder.calls == 0


@pytest.mark.parametrize(
    "hypothesis",
    [
        words("Untertitelung", "des", "ZDF,", "2020"),
        words("Vielen", "Dank", "fürs", "Zuschauen!"),
        words("Untertitel", "von", "Stephanie", "Geiges"),
    ],
)
def test_hallucination_phrases_are_dropped(hypothesis: list[Word]) -> None:
    _, tr = make([hypothesis])
    events = []
    for _ in range(3):
        events += run_step(tr, tone(1.0))
    events += tr.finish()
    assert [e for e in events if isinstance(e, Committed)] == []


def test_repetition_loop_is_cut_back_to_one_occurrence() -> None:
    loop = words("Wir", "stimmen", "ab", "und", "dann", "und", "dann", "und", "dann", "und", "dann")
    _, tr = make([loop])
    events = run_step(tr, tone(1.0)) + run_step(tr, tone(1.0)) + tr.finish()
    assert committed_text(events) == "Wir stimmen ab und dann"


def test_unsure_segment_over_silent_audio_is_dropped_with_its_reason() -> None:
    # Whisper "hears" a word where the audio is silent: the VAD confirms, the drop is reported
    silent = DecodeResult((DecodedSegment(tuple(words("Ja.", start=0.6)), no_speech_prob=0.9, avg_logprob=-1.4),))
    options = dataclasses.replace(NO_FORCE, vad=True)
    _, tr = make([silent], options, speech_detector=EnergySpeechDetector())
    audio = np.concatenate([tone(0.3), np.zeros(int(0.7 * SR), dtype=np.float32)])
    events = run_step(tr, audio) + tr.finish()
    assert [e for e in events if isinstance(e, Committed | Partial)] == []
    drops = [e for e in events if isinstance(e, GuardDrop)]
    assert drops and all(d.reason == DropReason.NO_SPEECH and d.text == "Ja." for d in drops)


@pytest.mark.parametrize(
    "segment",
    [
        DecodedSegment(tuple(words("Der", "Antrag", "ist", "angenommen.")), no_speech_prob=0.7, avg_logprob=-1.9),
        DecodedSegment(tuple(words("Ja,", "ja,", "ja,", "das", "stimmt.")), compression_ratio=2.9),
        DecodedSegment(tuple(words("Ich", "sage", "vielen", "Dank", "fürs", "Zuschauen", "am", "Livestream."))),
    ],
)
def test_real_speech_that_looks_suspicious_is_committed(segment: DecodedSegment) -> None:
    options = dataclasses.replace(NO_FORCE, vad=True)
    _, tr = make([DecodeResult((segment,))], options, speech_detector=EnergySpeechDetector())
    events = run_step(tr, tone(2.0)) + run_step(tr, tone(2.0)) + tr.finish()
    assert committed_text(events) == segment.text
    assert [e for e in events if isinstance(e, GuardDrop)] == []


class TruthDecoder:
    """Recognises the true words that lie completely inside the buffer, except the one still being spoken."""

    def __init__(self, truth: list[Word]) -> None:
        self.truth = truth
        self.max_buffer = 0.0
        self.tr: StreamingTranscriber | None = None

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions) -> DecodeResult:
        assert self.tr is not None
        start, end = self.tr.buffer_start, self.tr.buffer_start + audio.size / SR
        self.max_buffer = max(self.max_buffer, audio.size / SR)
        visible = [w.shifted(-start) for w in self.truth if w.start >= start - 0.05 and w.end <= end]
        return DecodeResult.from_words(visible)


def _speech(n_words: int) -> list[Word]:
    texts = [f"wort{k}" + ("." if k % 7 == 6 else "") for k in range(n_words)]
    return words(*texts)


def test_buffer_is_trimmed_at_sentence_ends_and_everything_is_committed_once() -> None:
    truth = _speech(240)  # 120 s
    decoder = TruthDecoder(truth)
    options = StreamOptions(vad=False, trim_after_s=8.0, max_buffer_s=15.0)
    tr = StreamingTranscriber(decoder, options)
    decoder.tr = tr
    committed: list[Word] = []
    for _ in range(121):
        tr.push_audio(tone(1.0))
        for event in tr.step():
            if isinstance(event, Committed):
                committed.extend(event.words)
        assert tr.buffer_seconds <= options.max_buffer_s + options.min_chunk_s
    for event in tr.finish():
        if isinstance(event, Committed):
            committed.extend(event.words)
    assert [w.text for w in committed] == [w.text for w in truth]
    # trimmed at the last committed sentence end once past trim_after_s: at most one sentence (3.5 s) more
    assert decoder.max_buffer <= options.trim_after_s + 2 * options.min_chunk_s + 3.5


def test_commit_latency_with_one_second_steps_is_low() -> None:
    truth = _speech(60)
    decoder = TruthDecoder(truth)
    tr = StreamingTranscriber(decoder, StreamOptions(vad=False))
    decoder.tr = tr
    latency: list[float] = []
    for _ in range(31):
        tr.push_audio(tone(1.0))
        for event in tr.step():
            if isinstance(event, Committed):
                latency += [event.audio_end - w.end for w in event.words]
    assert len(latency) >= 55
    assert float(np.percentile(latency, 50)) <= 2.5
    assert max(latency) <= 3.0


def _prompts_seen(truth: list[Word], *, prompt_chars: int, steps: int) -> tuple[StreamingTranscriber, list[str]]:
    """Stream ``steps`` seconds through a truth decoder and record the prompt of every decode."""
    prompts: list[str] = []

    class Spy(TruthDecoder):
        def decode(self, audio, *, prompt, options):  # type: ignore[no-untyped-def]
            prompts.append(prompt)
            return super().decode(audio, prompt=prompt, options=options)

    spy = Spy(truth)
    options = StreamOptions(vad=False, prompt_chars=prompt_chars, trim_after_s=5.0, max_buffer_s=10.0)
    tr = StreamingTranscriber(spy, options)
    spy.tr = tr
    for _ in range(steps):
        tr.push_audio(tone(1.0))
        tr.step()
    return tr, prompts


def test_prompt_is_committed_text_before_the_buffer_and_bounded() -> None:
    truth = _speech(120)
    _, prompts = _prompts_seen(truth, prompt_chars=60, steps=50)
    assert all(len(p) <= 60 for p in prompts)
    assert prompts[0] == ""
    assert prompts[-1].endswith(".")  # buffer trimmed at a sentence end: the prompt ends with that sentence
    assert prompts[-1].split()[-1] in {w.text for w in truth}


def test_prompt_chars_zero_means_no_prompt() -> None:
    tr, prompts = _prompts_seen(_speech(60), prompt_chars=0, steps=25)
    assert tr.buffer_start > 0 and tr.committed_count > 0  # text before the buffer exists ...
    assert prompts and all(p == "" for p in prompts)  # ... yet no prompt is passed


def test_finish_commits_the_rest_and_clears_the_partial() -> None:
    _, tr = make([words("Wir", "kommen"), words("Wir", "kommen", "zum", "Schluss.")])
    run_step(tr, tone(1.0))
    events = tr.finish()
    assert committed_text(events) == "Wir kommen zum Schluss."
    assert events[-1].text == ""
    assert tr.finish() == []
    with pytest.raises(RuntimeError):
        tr.push_audio(tone(0.1))


def test_bad_audio_is_rejected_with_a_clear_error() -> None:
    _, tr = make([])
    with pytest.raises(AudioError, match="float32"):
        tr.push_audio(np.zeros(100, dtype=np.int16))
    with pytest.raises(AudioError, match="mono"):
        tr.push_audio(np.zeros((100, 2), dtype=np.float32))


VOCAB = ["der", "Rat", "stimmt", "zu", "heute", "Haushalt", "Antrag", "Stadt"]


@st.composite
def hypothesis_sequences(draw):  # type: ignore[no-untyped-def]
    steps = draw(st.integers(min_value=1, max_value=12))
    script = []
    for k in range(steps):
        n = draw(st.integers(min_value=0, max_value=8))
        times = sorted(draw(st.lists(st.floats(0.0, k + 1.0), min_size=2 * n, max_size=2 * n)))
        hyp = [
            Word(draw(st.sampled_from(VOCAB)), times[2 * i], times[2 * i + 1], draw(st.floats(0.0, 1.0)))
            for i in range(n)
        ]
        script.append(hyp)
    return script


@settings(max_examples=150, deadline=None)
@given(script=hypothesis_sequences(), force=st.booleans())
def test_committed_text_is_never_taken_back(script, force: bool) -> None:  # type: ignore[no-untyped-def]
    options = StreamOptions(
        vad=False,
        max_commit_delay_s=1.5 if force else 1000.0,
        max_commit_delay_any_s=2.5 if force else 1000.0,
        guards=GuardOptions(blocklist=(), loop_min_repeats=99, loop_min_repeats_single=99),
    )
    decoder, tr = make(script, options)
    outputs: list[set[str]] = []
    history: list[str] = []
    committed: list[Word] = []
    for k in range(len(script)):
        tr.push_audio(tone(1.0))
        events = tr.step()
        outputs.append({normalize_word(w.text) for w in script[min(k, len(script) - 1)]})
        new = [w for e in events if isinstance(e, Committed) for w in e.words]
        for w in new:
            assert normalize_word(w.text) in outputs[-1]
            if not force:
                assert len(outputs) >= 2 and normalize_word(w.text) in outputs[-2]
        committed += new
        text = " ".join(w.text for w in committed)
        if history:
            assert text.startswith(history[-1])
        history.append(text)
        partials = [e for e in events if isinstance(e, Partial)]
        assert len(partials) <= 1
    committed += [w for e in tr.finish() if isinstance(e, Committed) for w in e.words]
    final = " ".join(w.text for w in committed)
    assert all(final.startswith(h) for h in history)
    for a, b in zip(committed, committed[1:], strict=False):
        assert a.start <= a.end <= b.start + 1e-9


def test_words_invented_in_a_pause_are_not_committed() -> None:
    speech = words("Das", "ist", "gut.")
    invented = [*speech, Word("Tschüss.", 1.3, 1.7, 0.9)]
    _, tr = make([speech, invented], StreamOptions(), speech_detector=EnergySpeechDetector())
    run_step(tr, tone(1.0))
    events = run_step(tr, np.zeros(SR, dtype=np.float32))  # silent second: "Tschüss." lies inside it
    assert committed_text(events) == "Das ist gut."
    assert committed_text(tr.finish()) == ""


def test_finish_drops_words_invented_after_the_last_speech() -> None:
    speech = words("Herr", "Becker,", "bitte.")  # 0.0-1.4 s
    invented = [*speech, Word("Ja.", 2.2, 2.4, 0.9), Word("Ja.", 2.6, 2.8, 0.9)]
    _, tr = make([invented], StreamOptions(), speech_detector=EnergySpeechDetector())
    tr.push_audio(np.concatenate([tone(1.5), np.zeros(int(1.5 * SR), dtype=np.float32)]))
    assert committed_text(tr.finish()) == "Herr Becker, bitte."


def test_speech_horizon_is_the_tentative_tail_not_the_audio_pushed() -> None:
    """Cue pause detection must not mistake commit latency for a pause (one-word cues otherwise)."""
    _, tr = make(
        [
            words("Guten", "Abend"),
            words("Guten", "Abend,", "meine", "Damen"),
            [],
        ]
    )
    run_step(tr, tone(1.0))
    events = run_step(tr, tone(1.0))
    assert committed_text(events) == "Guten Abend,"
    # "meine Damen" is still tentative: speech goes on at its start, although 2 s of audio were pushed
    assert tr.speech_horizon == pytest.approx(1.0)
    assert tr.speech_horizon < tr.audio_end
    run_step(tr, tone(1.0))  # nothing heard any more: the horizon is the end of the decoded audio
    assert tr.speech_horizon == pytest.approx(tr.audio_end)


class PrefixTruthDecoder(TruthDecoder):
    """A :class:`TruthDecoder` that takes the committed text as a forced prefix, as WhisperDecoder does:
    it returns only the words after the prefix (optionally echoing the prefix's last word first)."""

    accepts_prefix = True

    def __init__(self, truth: list[Word], *, echo: bool = False) -> None:
        super().__init__(truth)
        self.prefixes: list[str] = []
        self.echo = echo

    def decode(self, audio, *, prompt, options, prefix=""):  # type: ignore[no-untyped-def]
        assert self.tr is not None
        self.prefixes.append(prefix)
        visible = list(super().decode(audio, prompt=prompt, options=options).words)
        n = len(prefix.split())
        assert [w.text for w in visible[:n]] == prefix.split()  # the prefix is what the buffer starts with
        rest = visible[n:]
        if self.echo and n and rest:
            last = visible[n - 1]
            rest = [Word(last.text, rest[0].start, rest[0].start + 0.01, 0.9), *rest]
        return DecodeResult(DecodeResult.from_words(rest).segments, prefixed=True)


@pytest.mark.parametrize("echo", [False, True])
def test_committed_words_in_the_buffer_go_to_the_decoder_as_its_prefix(echo: bool) -> None:
    truth = _speech(100)  # 50 s
    decoder = PrefixTruthDecoder(truth, echo=echo)
    tr = StreamingTranscriber(decoder, StreamOptions(vad=False, trim_after_s=5.0, max_buffer_s=10.0))
    decoder.tr = tr
    committed: list[Word] = []
    for _ in range(51):
        tr.push_audio(tone(1.0))
        committed += [w for e in tr.step() if isinstance(e, Committed) for w in e.words]
    committed += [w for e in tr.finish() if isinstance(e, Committed) for w in e.words]
    assert [w.text for w in committed] == [w.text for w in truth]  # once each, an echoed word is dropped
    assert any(decoder.prefixes) and decoder.prefixes[0] == ""


def test_prefix_is_not_passed_when_switched_off_or_unsupported() -> None:
    truth = _speech(30)
    decoder = PrefixTruthDecoder(truth)
    tr = StreamingTranscriber(decoder, StreamOptions(vad=False, prefix_committed=False))
    decoder.tr = tr
    for _ in range(12):
        tr.push_audio(tone(1.0))
        tr.step()
    assert tr.committed_count > 0 and set(decoder.prefixes) == {""}


RECITED = ("Melden", "Sie", "die", "Abholung", "bitte", "an.")


@pytest.mark.parametrize("echo_min_words", [5, 0])
def test_a_recited_run_of_committed_text_is_not_committed_again(echo_min_words: int) -> None:
    said = words(*RECITED)
    recital = words(*RECITED, "Elektrogeräte", "gehören", start=3.1)
    options = dataclasses.replace(NO_FORCE, echo_min_words=echo_min_words)
    _, tr = make([said, said, recital, recital], options)
    events = []
    for _ in range(4):
        events += run_step(tr, tone(1.0))
    text = committed_text(events)
    if echo_min_words:
        assert text == "Melden Sie die Abholung bitte an. Elektrogeräte gehören"
        assert tr.recited_dropped == 2 * len(RECITED)  # dropped from both hypotheses that recite it
    else:  # the guard is what stops it: without it the recital is committed a second time
        assert text == "Melden Sie die Abholung bitte an. Melden Sie die Abholung bitte an. Elektrogeräte gehören"


def silence_s(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


@pytest.mark.parametrize(("reset_after", "prompt_after_pause"), [(3.0, ""), (100.0, "Guten Abend.")])
def test_the_prompt_restarts_after_a_long_pause(reset_after: float, prompt_after_pause: str) -> None:
    before = words("Guten", "Abend.")
    after = words("Wir", "beginnen.", start=6.2)
    options = dataclasses.replace(NO_FORCE, prompt_reset_pause_s=reset_after)
    decoder, tr = make([before, before, after, after], options, speech_detector=EnergySpeechDetector())
    for chunk in [tone(1.0)] * 2 + [silence_s(1.0)] * 4 + [tone(1.0)] * 2:
        run_step(tr, chunk)
    assert decoder.calls == 4  # the four silent steps decoded nothing
    assert decoder.prompts[2] == prompt_after_pause  # 4 s of pause: past 3 s the old text is not recited


def test_finish_keeps_the_pending_tail_when_the_last_decode_stops_short() -> None:
    heard = words("Der", "Wertstoffhof", "hat", "dienstags", "geöffnet.")
    _, tr = make([heard, heard[:3] + words("samstags", start=1.6), heard[:3]])
    events = run_step(tr, tone(1.0)) + run_step(tr, tone(1.0))
    assert committed_text(events) == "Der Wertstoffhof hat"  # "dienstags geöffnet." vs "samstags": pending
    events = tr.finish()  # the final decode returns nothing after "hat"
    assert committed_text(events) == "samstags"


def test_no_agreement_commits_in_the_first_seconds_of_speech() -> None:
    # two decodes of the first 1-2 s of speech agree on a misheard word; with more audio it is heard right
    options = dataclasses.replace(NO_FORCE, min_commit_context_s=3.0)
    _, tr = make(
        [words("Affe"), words("Affe", "mit"), words("Abfall", "wirtschaft"), words("Abfall", "wirtschaft")], options
    )
    early = run_step(tr, tone(1.0)) + run_step(tr, tone(1.0))
    assert committed_text(early) == ""  # 2 s of speech: "Affe" agrees, but is not committed yet
    later = run_step(tr, tone(1.0)) + run_step(tr, tone(1.0))
    assert committed_text(later) == "Abfall wirtschaft"
    # without the rule the early agreement is final
    _, tr = make([words("Affe"), words("Affe", "mit")], NO_FORCE)
    assert committed_text(run_step(tr, tone(1.0)) + run_step(tr, tone(1.0))) == "Affe"



def test_after_a_pause_the_first_word_starts_where_the_speech_does() -> None:
    # Whisper puts the first word after a pause at the start of the buffer (2.0 s), into the kept silence
    stretched = [Word("Guten", 2.0, 4.4, 0.9), Word("Abend.", 4.5, 4.9, 0.9)]
    _, tr = make([stretched], StreamOptions(min_commit_context_s=0.0), speech_detector=EnergySpeechDetector())
    for _ in range(3):
        run_step(tr, np.zeros(SR, dtype=np.float32))  # a pause: the buffer keeps silence_keep_s (1 s) of it
    assert tr.buffer_start == pytest.approx(2.0)
    speech = np.concatenate([np.zeros(int(0.6 * SR), dtype=np.float32), tone(1.4)])  # speech from 3.6 s
    events = run_step(tr, speech) + tr.finish()
    committed = [w for e in events if isinstance(e, Committed) for w in e.words]
    assert [w.text for w in committed] == ["Guten", "Abend."]
    assert committed[0].start == pytest.approx(3.6, abs=0.06)
    assert committed[1].start == pytest.approx(4.5)  # words inside the speech keep their times
