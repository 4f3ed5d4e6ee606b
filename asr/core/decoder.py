"""What a speech decoder gives the streaming core: words, segments, results, and the protocol.

A :class:`Decoder` turns one buffer of 16 kHz mono float32 audio into words with timestamps relative
to the buffer start, plus per-segment quality metadata that :mod:`asr.core.guards` uses. It is blocking:
callers (the live service) run it in a worker thread. Tests use scripted decoders instead.

The faster-whisper implementation (:class:`asr.whisper.engine.WhisperDecoder`) lives in :mod:`asr.whisper.engine`, the
one module that touches faster-whisper's internals; this module imports no speech engine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from asr.core.options import StreamOptions
from asr.errors import AudioError

__all__ = [
    "SAMPLE_RATE",
    "DecodeRequest",
    "DecodeResult",
    "DecodedSegment",
    "Decoder",
    "PrefixDecoder",
    "Word",
    "check_audio",
    "join_words",
    "join_word_pieces",
    "segments_from_whisper",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word: text without surrounding spaces, times in seconds, confidence 0..1."""

    text: str
    start: float
    end: float
    probability: float = 1.0

    def shifted(self, offset: float) -> Word:
        """The same word with times moved by ``offset`` seconds (buffer-relative -> stream time)."""
        return Word(self.text, self.start + offset, self.end + offset, self.probability)


def join_words(words: Iterable[Word]) -> str:
    """Words as running text (single spaces)."""
    return " ".join(w.text for w in words if w.text)


@dataclass(frozen=True, slots=True)
class DecodedSegment:
    """One Whisper segment: its words and the quality numbers the guards look at."""

    words: tuple[Word, ...]
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 1.0
    temperature: float = 0.0

    @property
    def text(self) -> str:
        return join_words(self.words)

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else 0.0

    @property
    def end(self) -> float:
        return self.words[-1].end if self.words else 0.0


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Result of decoding one audio buffer; times are relative to the buffer start. ``prefixed``: the
    decoder took the caller's ``prefix`` as the start of the text and returns only what follows it."""

    segments: tuple[DecodedSegment, ...] = ()
    prefixed: bool = False

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for seg in self.segments for w in seg.words)

    @property
    def text(self) -> str:
        return join_words(self.words)

    @classmethod
    def from_words(
        cls,
        words: Sequence[Word],
        *,
        no_speech_prob: float = 0.0,
        avg_logprob: float = -0.2,
        compression_ratio: float = 1.2,
    ) -> DecodeResult:
        """A one-segment result (handy for scripted decoders in tests)."""
        return cls((DecodedSegment(tuple(words), no_speech_prob, avg_logprob, compression_ratio),))


@dataclass(frozen=True, slots=True)
class DecodeRequest:
    """One stream's decode, as a batch decoder takes it: buffer, committed-text prompt, options, forced prefix."""

    audio: np.ndarray
    prompt: str
    options: StreamOptions
    prefix: str = ""


@runtime_checkable
class Decoder(Protocol):
    """Blocking speech decoder; ``audio`` is float32 mono 16 kHz, ``prompt`` is committed context."""

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions) -> DecodeResult: ...


class PrefixDecoder(Protocol):
    """A :class:`Decoder` that can be told the text the buffer starts with (``accepts_prefix`` True)."""

    accepts_prefix: bool

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult: ...


def check_audio(samples: np.ndarray, *, where: str = "audio") -> np.ndarray:
    """Validate float32 mono samples (1-D, finite); returns them as a contiguous float32 array."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise AudioError(
            f"{where}: expected mono samples (1-D array), got shape {array.shape}; "
            "downmix to one channel and resample to 16 kHz first"
        )
    if array.dtype != np.float32:
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        else:
            raise AudioError(
                f"{where}: expected float32 samples in [-1, 1], got dtype {array.dtype}; "
                "convert PCM16 with samples.astype(np.float32) / 32768"
            )
    if array.size and not np.isfinite(array).all():
        raise AudioError(f"{where}: samples contain NaN or infinity")
    return np.ascontiguousarray(array)


def join_word_pieces(items: Iterable[tuple[str, float, float, float]]) -> tuple[Word, ...]:
    """Words from (text, start, end, probability): stripped, empty ones dropped, and a piece
    faster-whisper split off at a hyphen ("Internet" + "-Seite") joined back to its word."""
    words: list[Word] = []
    for raw, start, end, probability in items:
        text = raw.strip()
        if not text:
            continue
        if text.startswith("-") and text[1:2].isalpha() and words:
            prev = words[-1]
            words[-1] = Word(prev.text + text, prev.start, float(end), min(prev.probability, float(probability)))
            continue
        words.append(Word(text, float(start), float(end), float(probability)))
    return tuple(words)


def segments_from_whisper(segments: Iterable[Any]) -> tuple[DecodedSegment, ...]:
    """Our segments from faster-whisper ``Segment`` objects.

    Words are stripped, empty ones dropped, and a piece faster-whisper split off at a hyphen
    ("Internet" + "-Seite") is joined back to its word ("Internet-Seite"), so cues never show "-Seite".
    """
    return tuple(
        DecodedSegment(
            words=join_word_pieces((w.word, w.start, w.end, w.probability) for w in seg.words or ()),
            no_speech_prob=float(seg.no_speech_prob),
            avg_logprob=float(seg.avg_logprob),
            compression_ratio=float(seg.compression_ratio),
            temperature=float(seg.temperature or 0.0),
        )
        for seg in segments
    )
