"""Sans-I/O streaming transcription: audio in, partial and committed words out.

:class:`StreamingTranscriber` keeps an audio buffer, re-decodes it every ``min_chunk_s`` of new
audio, and decides which words are final. Committed words are never taken back.

Commit policy (LocalAgreement-2, as in whisper_streaming, with three additions):

1. *Agreement*: after removing what is already committed, the longest common word prefix (compared
   without case and punctuation) of this hypothesis and the previous one is committed.
2. *Latency bound*: words of the current hypothesis that ended more than ``max_commit_delay_s``
   before the newest audio and have probability >= ``force_commit_min_probability`` are committed
   too (contiguously from the start of the uncommitted part), so a word never waits for agreement
   that a changing tail keeps denying; past ``max_commit_delay_any_s`` a word is committed whatever its
   probability. This keeps commit latency bounded.
3. *Pause*: when new audio holds no speech (VAD), the whole hypothesis that agrees with the previous
   one is committed (words placed inside the silent audio are dropped as invented), and silence with
   nothing pending is not decoded at all; nothing is emitted on silence.

The buffer is trimmed at the end of the last committed sentence once it is longer than
``trim_after_s``, at the last committed word past ``max_buffer_s``, and to ``silence_keep_s`` during
silence, so decoding cost stays flat over a two-hour meeting. The prompt is the last ``prompt_chars``
of committed text before the buffer (plus ``initial_prompt``); hotwords go to the decoder.

Every word a guard removes comes out as a :class:`~asr.core.guards.GuardDrop` event with its reason (VAD
found no speech there, a blocklisted sentence, a loop, recited committed text), so the shells log and
count it; the guards run once per decode, inside :meth:`StreamingTranscriber._decode`.

Decoding is blocking: the service calls :meth:`StreamingTranscriber.step` in a worker thread. This
module does no I/O, keeps no clock of its own and starts no threads; all times are stream seconds
(samples pushed / 16 000).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from asr.core.decoder import SAMPLE_RATE, Decoder, PrefixDecoder, Word, check_audio, join_words
from asr.core.guards import DropReason, GuardDrop, apply_guards, normalize_word
from asr.core.options import StreamOptions
from asr.core.speech import EnergySpeechDetector, SpeechDetector, speech_onset

__all__ = [
    "Committed", "EnergySpeechDetector", "GuardDrop",
    "Partial", "SpeechDetector", "StreamEvent", "StreamingTranscriber",
]

log = logging.getLogger(__name__)

_SENTENCE_END = (".", "?", "!", "…")
_OVERLAP_NGRAM = 5
_ECHO_WINDOW = 80  # committed words searched for a recited run


@dataclass(frozen=True, slots=True)
class Partial:
    """The tentative tail after the committed text; replaced by the next Partial. Empty text clears it."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Committed:
    """Final words (stream times); ``audio_end`` is how much audio had been pushed when they committed."""

    words: tuple[Word, ...]
    audio_end: float = 0.0

    @property
    def text(self) -> str:
        return join_words(self.words)


StreamEvent = Partial | Committed | GuardDrop
"""What a step emits. A :class:`~asr.core.guards.GuardDrop` (stream times) reports words a guard removed from
this decode's hypothesis, with the reason; every guard runs once per decode, here."""


def _is_sentence_end(word: Word) -> bool:
    return word.text.rstrip("\"'»«)”“").endswith(_SENTENCE_END)


def _agreed_prefix(a: Sequence[Word], b: Sequence[Word]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if normalize_word(x.text) != normalize_word(y.text):
            break
        n += 1
    return n


class StreamingTranscriber:
    """One live stream's commit policy over a :class:`~asr.core.decoder.Decoder` (see module docstring).

    Usage: ``push_audio()`` as audio arrives; whenever ``ready()``, call ``step()`` (blocking, one
    decode) and forward its events; at end of stream call ``finish()`` once.
    """

    def __init__(
        self,
        decoder: Decoder,
        options: StreamOptions | None = None,
        *,
        speech_detector: SpeechDetector | None = None,
    ) -> None:
        self.decoder = decoder
        self.options = options or StreamOptions()
        if speech_detector is None and self.options.vad:
            # The core never loads a speech engine: whoever enables the VAD gate brings the detector
            # (asr.whisper.engine.live_transcriber wires faster-whisper's Silero VAD).
            raise ValueError("StreamOptions.vad needs a speech_detector (see asr.whisper.engine.live_transcriber)")
        self._detect = speech_detector
        # Committed words inside the buffer go to the decoder as a forced prefix when it supports one.
        self._use_prefix = self.options.prefix_committed and bool(getattr(decoder, "accepts_prefix", False))
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = 0.0  # stream time of self._buffer[0]
        self._pushed = 0  # samples pushed in total
        self._new = 0  # samples pushed since the last step
        self._committed: list[Word] = []  # tail of committed words (bounded)
        self._committed_end = 0.0
        self._silent_s = 0.0  # length of the current pause (silent steps with nothing pending)
        self._prompt_floor = 0.0  # committed words ending before this are not used as prompt
        self._onset = 0.0  # stream time after which the current stretch of speech began (start, pause)
        self._first_speech: tuple[float, float] | None = None  # (buffer offset, where its speech begins)
        self._committed_count = 0
        self._hypothesis: list[Word] = []  # uncommitted words of the last decode
        self._decoded_until = 0.0  # stream time of the audio end at the last step
        self._partial_text = ""
        self._drops: list[GuardDrop] = []  # drops of the current step, emitted first
        self._finished = False
        self.decode_count = 0
        self.skipped_silent = 0
        self.recited_dropped = 0

    # --- inputs -----------------------------------------------------------------------------------

    def push_audio(self, samples: np.ndarray) -> None:
        """Append float32 mono 16 kHz samples."""
        if self._finished:
            raise RuntimeError("push_audio() after finish(); start a new StreamingTranscriber")
        samples = check_audio(samples, where="StreamingTranscriber.push_audio")
        if samples.size == 0:
            return
        self._buffer = np.concatenate([self._buffer, samples])
        self._pushed += samples.size
        self._new += samples.size

    def ready(self) -> bool:
        """True when at least ``min_chunk_s`` of audio arrived since the last step."""
        return not self._finished and self._new >= int(self.options.min_chunk_s * SAMPLE_RATE)

    # --- state ------------------------------------------------------------------------------------

    @property
    def audio_end(self) -> float:
        """Stream seconds pushed so far."""
        return self._pushed / SAMPLE_RATE

    @property
    def speech_horizon(self) -> float:
        """Stream time up to which nothing has been heard after the committed words.

        The start of the tentative tail while there is one (speech goes on there), else the end of the
        audio decoded so far. Pause detection for cues uses this, not the audio pushed: that runs ahead
        of the committed words by the commit latency, which would look like a pause after every commit
        and cut the subtitles into one-word cues.
        """
        if self._hypothesis:
            return self._hypothesis[0].start
        return self._decoded_until

    @property
    def buffer_start(self) -> float:
        """Stream time of the first buffered sample (decoder times are relative to it)."""
        return self._offset

    @property
    def buffer_seconds(self) -> float:
        return self._buffer.size / SAMPLE_RATE

    @property
    def committed_count(self) -> int:
        return self._committed_count

    @property
    def committed_end(self) -> float:
        """End time of the last committed word."""
        return self._committed_end

    def prefix(self) -> str:
        """Committed text inside the buffer (what the decoder is told the buffer starts with)."""
        return join_words(w for w in self._committed if w.end > self._offset + 1e-3)

    def prompt(self) -> str:
        """Committed text before the buffer start, at most ``prompt_chars`` characters (word-aligned;
        ``prompt_chars`` 0: no prompt)."""
        limit = self.options.prompt_chars
        if limit <= 0:
            return ""
        before = [w for w in self._committed if self._prompt_floor < w.end <= self._offset + 1e-3]
        text = join_words(before)
        if len(text) > limit:
            text = text[-limit:]
            text = text.split(" ", 1)[1] if " " in text else text
        return text

    # --- processing -------------------------------------------------------------------------------

    def step(self) -> list[StreamEvent]:
        """Decode the buffer once and return the resulting events (blocking): guard drops first."""
        events = self._step()
        return self._take_drops() + events

    def finish(self) -> list[StreamEvent]:
        """End of stream: decode what is left and commit all of it (guard drops first)."""
        events = self._finish()
        return self._take_drops() + events

    def _take_drops(self) -> list[StreamEvent]:
        drops: list[StreamEvent] = list(self._drops)
        self._drops.clear()
        return drops

    def _drop(self, reason: DropReason, words: Sequence[Word]) -> None:
        if words:
            self._drops.append(GuardDrop(reason, tuple(words)))

    def _step(self) -> list[StreamEvent]:
        if self._finished or self._buffer.size == 0:
            return []
        new_samples, self._new = self._new, 0
        self._decoded_until = self.audio_end
        if self._detect is not None and not self._new_audio_has_speech(new_samples):
            if not self._hypothesis:
                self.skipped_silent += 1
                self._silent_s += new_samples / SAMPLE_RATE
                if self._silent_s >= self.options.prompt_reset_pause_s:
                    # After a long pause Whisper tends to recite the prompt instead of the new speech.
                    self._prompt_floor = self._committed_end
                self._trim_silence()
                return self._partial_events()
            # Pause after speech: decode once more to settle the tail, then commit what agrees.
            return self._decode_and_commit(silent_from=self.audio_end - new_samples / SAMPLE_RATE)
        self._silent_s = 0.0
        return self._decode_and_commit(silent_from=None)

    def _finish(self) -> list[StreamEvent]:
        if self._finished:
            return []
        events: list[StreamEvent] = []
        # Decode again only if something is pending or the audio after the committed text holds speech.
        uncommitted = self._buffer[max(0, int((self._committed_end - self._offset) * SAMPLE_RATE)) :]
        if self._buffer.size and (self._hypothesis or self._detect is None or self._detect(uncommitted)):
            words = self._decode(final=True)
            pending = self._hypothesis
            if pending and (not words or words[-1].end < pending[-1].start):
                # The last decode stopped short of what the step before heard (Whisper ending the text
                # early happens): keep the pending tail rather than losing the end of the stream.
                words = pending
            speech_end = self._speech_end()
            if speech_end is not None:  # words after the last speech are invented (the "Ja. Ja." at the end)
                self._drop(DropReason.NO_SPEECH, [w for w in words if w.start >= speech_end + 0.2])
                words = [w for w in words if w.start < speech_end + 0.2]
            events.extend(self._commit(words))
        elif self._hypothesis:
            events.extend(self._commit(self._hypothesis))
        self._hypothesis = []
        self._finished = True
        self._buffer = np.zeros(0, dtype=np.float32)
        self._new = 0
        events.extend(self._partial_events())
        return events

    # --- internals --------------------------------------------------------------------------------

    def _new_audio_has_speech(self, new_samples: int) -> bool:
        assert self._detect is not None
        context = int(getattr(self._detect, "context_s", 0.0) * SAMPLE_RATE)
        window = self._buffer[max(0, self._buffer.size - new_samples - context) :]
        return self._detect(window)

    def _speech_end(self) -> float | None:
        """Stream time where speech in the buffer ends (0.5 s resolution), scanning back from the end."""
        if self._detect is None:
            return None
        step = SAMPLE_RATE // 2
        context = int(getattr(self._detect, "context_s", 0.0) * SAMPLE_RATE)
        end = self._buffer.size
        while end > 0:
            if self._detect(self._buffer[max(0, end - step - context) : end]):
                return self._offset + end / SAMPLE_RATE
            end -= step
        return self._offset

    def _decode(self, *, final: bool = False) -> list[Word]:
        """Decode the buffer; guarded, absolute-time words not yet committed. ``final``: the stream's
        last decode, which must cover the whole buffer (no one-window limit)."""
        options = dataclasses.replace(self.options, single_window=False) if final else self.options
        prefix = self.prefix() if self._use_prefix else ""
        if prefix:
            decoder = cast(PrefixDecoder, self.decoder)
            result = decoder.decode(self._buffer, prompt=self.prompt(), options=options, prefix=prefix)
        else:
            result = self.decoder.decode(self._buffer, prompt=self.prompt(), options=options)
        self.decode_count += 1
        guarded = apply_guards(result, self.options.guards, has_speech=self._speech_check())
        self._drops.extend(drop.shifted(self._offset) for drop in guarded.drops)
        words = self._start_at_speech([w.shifted(self._offset) for w in guarded.words])
        # a decoder may decline a prefix (too long, no language): then drop re-decoded words by time
        return self._drop_committed(words, by_time=not result.prefixed)

    def _start_at_speech(self, words: list[Word]) -> list[Word]:
        """No word starts before the speech does. After a pause the buffer begins with ``silence_keep_s``
        of silence, and Whisper stretches the first word back to the buffer's start: its cue would appear
        a second before the word is spoken (measured in tests/web/test_live_pipeline.py)."""
        if not words or self._detect is None:
            return words
        begins = self._speech_begins()
        if begins is None or words[0].start >= begins:
            return words
        return [dataclasses.replace(w, start=min(begins, w.end)) if w.start < begins else w for w in words]

    def _speech_begins(self) -> float | None:
        """Stream time where the first speech in the buffer begins (to 50 ms: the shortest start of the
        buffer the VAD hears speech in), once per buffer start; ``None`` if its first seconds hold none."""
        if self._first_speech is not None and self._first_speech[0] == self._offset:
            return self._first_speech[1]
        assert self._detect is not None
        window = self._buffer[: int((self.options.silence_keep_s + 3.0) * SAMPLE_RATE)]
        onset = speech_onset(self._detect, window, step=SAMPLE_RATE // 20)
        if onset is None:
            return None
        begins = self._offset + onset / SAMPLE_RATE
        self._first_speech = (self._offset, begins)
        return begins

    def _speech_check(self) -> Callable[[float, float], bool] | None:
        """The guards' speech check over the current buffer (buffer times), or None without a VAD."""
        detect = self._detect
        if detect is None:
            return None
        buffer = self._buffer
        context = int(getattr(detect, "context_s", 0.0) * SAMPLE_RATE)

        def has_speech(start: float, end: float) -> bool:
            a = max(0, int(start * SAMPLE_RATE) - context)
            b = min(buffer.size, int(end * SAMPLE_RATE))
            return b > a and detect(buffer[a:b])

        return has_speech

    def _drop_committed(self, words: list[Word], *, by_time: bool = True) -> list[Word]:
        """Remove words the hypothesis repeats from the committed text (time, then n-gram overlap).

        After a prefix decode the words follow the committed text by construction; only a repeated
        n-gram (the decoder echoing the prefix's last words) is removed then.
        """
        tolerance = 0.1
        if by_time:
            words = [w for w in words if w.start > self._committed_end - tolerance or w.end > self._committed_end + 0.3]
        if words and self._committed and abs(words[0].start - self._committed_end) < 1.0:
            tail = [normalize_word(w.text) for w in self._committed[-_OVERLAP_NGRAM:]]
            for size in range(min(_OVERLAP_NGRAM, len(tail), len(words)), 0, -1):
                if tail[-size:] == [normalize_word(w.text) for w in words[:size]]:
                    words = words[size:]
                    break
        return self._drop_recited(words)

    def _drop_recited(self, words: list[Word]) -> list[Word]:
        """Remove every run of ``echo_min_words`` words that repeats recent committed text verbatim.

        Whisper given a prompt sometimes recites it instead of transcribing the new audio (seen after
        the 8 s pause of the eval set: two sentences committed again, word for word). Five identical
        words in a row within the last ``_ECHO_WINDOW`` committed words are far more often that than
        speech; the cost is that a speaker who really repeats such a phrase loses the repetition.
        """
        n = self.options.echo_min_words
        if n <= 0 or len(words) < n or len(self._committed) < n:
            return words
        recent = [normalize_word(w.text) for w in self._committed[-_ECHO_WINDOW:]]
        grams = {tuple(recent[i : i + n]) for i in range(len(recent) - n + 1)}
        spoken = [normalize_word(w.text) for w in words]
        drop = [False] * len(words)
        for i in range(len(words) - n + 1):
            if tuple(spoken[i : i + n]) in grams:
                drop[i : i + n] = [True] * n
        dropped = sum(drop)
        if not dropped:
            return words
        self.recited_dropped += dropped
        run: list[Word] = []
        for word, gone in zip(words, drop, strict=True):
            if gone:
                run.append(word)
            elif run:
                self._drop(DropReason.RECITED, run)
                run = []
        self._drop(DropReason.RECITED, run)
        return [w for w, d in zip(words, drop, strict=True) if not d]

    def _decode_and_commit(self, *, silent_from: float | None) -> list[StreamEvent]:
        """One decode; ``silent_from`` is where the VAD found the new audio silent (a pause), if it did."""
        words = self._decode()
        if silent_from is not None:
            # Words "heard" in audio the VAD calls silent are Whisper inventing text: drop them.
            self._drop(DropReason.NO_SPEECH, [w for w in words if w.start >= silent_from + 0.2])
            words = [w for w in words if w.start < silent_from + 0.2]
        agreed = _agreed_prefix(self._hypothesis, words)
        if silent_from is None and self.audio_end - self._onset < self.options.min_commit_context_s:
            agreed = 0  # right after speech starts two short decodes agree on errors too easily
        if silent_from is not None and agreed == len(self._hypothesis):
            agreed = len(words)  # stable through a pause: everything is final
        horizon = self.audio_end - self.options.max_commit_delay_s
        hard_horizon = self.audio_end - self.options.max_commit_delay_any_s
        while agreed < len(words) and (
            words[agreed].end <= hard_horizon
            or (words[agreed].end <= horizon and words[agreed].probability >= self.options.force_commit_min_probability)
        ):
            agreed += 1
        events = self._commit(words[:agreed])
        self._hypothesis = words[agreed:]
        events.extend(self._trim())
        events.extend(self._partial_events())
        return events

    def _commit(self, words: Sequence[Word]) -> list[StreamEvent]:
        out: list[Word] = []
        last_end = self._committed_end
        for word in words:
            if not word.text:
                continue
            start = max(word.start, last_end)
            end = max(word.end, start)
            out.append(Word(word.text, start, end, word.probability))
            last_end = end
        if not out:
            return []
        self._committed.extend(out)
        del self._committed[:-200]
        self._committed_end = last_end
        self._committed_count += len(out)
        log.debug("asr.stream.committed words=%d end=%.2f", len(out), last_end)
        return [Committed(tuple(out), self.audio_end)]

    def _partial_events(self) -> list[StreamEvent]:
        text = join_words(self._hypothesis)
        if text == self._partial_text:
            return []
        self._partial_text = text
        if self._hypothesis:
            return [Partial(text, self._hypothesis[0].start, self._hypothesis[-1].end)]
        return [Partial("", self.audio_end, self.audio_end)]

    def _cut_buffer(self, at: float) -> None:
        """Drop audio before stream time ``at``."""
        cut = int(round((at - self._offset) * SAMPLE_RATE))
        if cut <= 0:
            return
        cut = min(cut, self._buffer.size)
        self._buffer = self._buffer[cut:].copy()
        self._offset += cut / SAMPLE_RATE
        self._hypothesis = [w for w in self._hypothesis if w.end > self._offset]

    def _trim(self) -> list[StreamEvent]:
        opts = self.options
        if self.buffer_seconds <= opts.trim_after_s:
            return []
        in_buffer = [w for w in self._committed if w.end > self._offset]
        sentence_ends = [w.end for w in in_buffer if _is_sentence_end(w)]
        if sentence_ends:
            self._cut_buffer(sentence_ends[-1])
        if self.buffer_seconds <= opts.max_buffer_s:
            return []
        if in_buffer:
            self._cut_buffer(in_buffer[-1].end)
        if self.buffer_seconds > opts.max_buffer_s:
            # Nothing committable for max_buffer_s: commit what the hypothesis holds for the old part
            # and drop that audio, keeping the newest trim_after_s.
            keep_from = self.audio_end - opts.trim_after_s
            old = [w for w in self._hypothesis if w.end <= keep_from]
            log.warning("asr.stream.buffer_cap buffer_s=%.1f", self.buffer_seconds)
            events = self._commit(old)
            self._cut_buffer(max(keep_from, self._committed_end))
            return events
        return []

    def _trim_silence(self) -> None:
        self._onset = self.audio_end
        keep = self.options.silence_keep_s
        if self.buffer_seconds > keep:
            self._cut_buffer(self.audio_end - keep)
