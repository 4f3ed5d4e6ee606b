"""What a speech decoder gives the streaming core, and the faster-whisper implementation of it.

A :class:`Decoder` turns one buffer of 16 kHz mono float32 audio into words with timestamps relative
to the buffer start, plus per-segment quality metadata that :mod:`asr.guards` uses. It is blocking:
callers (the live service) run it in a worker thread. Tests use scripted decoders instead.

faster-whisper is imported lazily so that importing this module stays cheap.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from asr.errors import AudioError
from asr.options import StreamOptions

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

__all__ = [
    "SAMPLE_RATE",
    "DecodeResult",
    "DecodedSegment",
    "Decoder",
    "WhisperDecoder",
    "Word",
    "check_audio",
    "join_words",
    "segments_from_whisper",
    "short_window_view",
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
    """Result of decoding one audio buffer; times are relative to the buffer start."""

    segments: tuple[DecodedSegment, ...] = ()

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


@runtime_checkable
class Decoder(Protocol):
    """Blocking speech decoder; ``audio`` is float32 mono 16 kHz, ``prompt`` is committed context."""

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions) -> DecodeResult: ...


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


def segments_from_whisper(segments: Iterable[Any]) -> tuple[DecodedSegment, ...]:
    """Our segments from faster-whisper ``Segment`` objects.

    Words are stripped, empty ones dropped, and a piece faster-whisper split off at a hyphen
    ("Internet" + "-Seite") is joined back to its word ("Internet-Seite"), so cues never show "-Seite".
    """
    out: list[DecodedSegment] = []
    for seg in segments:
        words: list[Word] = []
        for w in seg.words or ():
            text = w.word.strip()
            if not text:
                continue
            if text.startswith("-") and text[1:2].isalpha() and words:
                prev = words[-1]
                words[-1] = Word(
                    prev.text + text, prev.start, float(w.end), min(prev.probability, float(w.probability))
                )
                continue
            words.append(Word(text, float(w.start), float(w.end), float(w.probability)))
        out.append(
            DecodedSegment(
                words=tuple(words),
                no_speech_prob=float(seg.no_speech_prob),
                avg_logprob=float(seg.avg_logprob),
                compression_ratio=float(seg.compression_ratio),
                temperature=float(seg.temperature or 0.0),
            )
        )
    return tuple(out)


def short_window_view(model: WhisperModel, pad_frames: int, min_frames: int = 200) -> WhisperModel:
    """A view of ``model`` whose encoder sees the audio plus ``pad_frames`` of padding, not 30 s.

    Whisper always encodes a 30 s window; for a 5-10 s streaming buffer most of that is zero padding,
    and the encoder dominates the cost. CTranslate2 accepts shorter inputs (as whisper.cpp's
    ``audio_ctx``), so the view cuts the trailing padding (feature columns that are exactly zero, which
    is what ``pad_or_trim`` appends) down to ``pad_frames`` (10 ms each). The copy is shallow: the
    CTranslate2 model, tokenizer and feature extractor are shared, nothing is loaded twice.
    """
    view = copy.copy(model)
    full_encode = model.encode

    def encode(features: np.ndarray) -> Any:
        array = np.asarray(features)
        frames = array.shape[-1]
        flat = array.reshape(-1, array.shape[-2], frames)
        nonzero = np.flatnonzero(np.any(flat != 0.0, axis=(0, 1)))
        content = int(nonzero[-1]) + 1 if nonzero.size else 0
        keep = min(frames, max(min_frames, content + pad_frames))
        keep += keep % 2  # the encoder's stride is 2 frames
        keep = min(keep, frames)
        return full_encode(np.ascontiguousarray(array[..., :keep]))

    view.encode = encode  # type: ignore[method-assign]
    return view


class WhisperDecoder:
    """:class:`Decoder` over a shared faster-whisper ``WhisperModel``.

    Word timestamps on, language forced (``options.language``), no conditioning on previous text (the
    streaming core passes its own committed-text prompt), temperatures and beam from the options. With
    ``options.encoder_pad_s`` set, the encoder sees the buffer plus that much padding instead of a full
    30 s window (several times cheaper for short buffers, see :func:`short_window_view`). CTranslate2
    releases the GIL while decoding, so several streams decode in parallel worker threads; the model
    is shared, never copied.
    """

    def __init__(self, model: WhisperModel) -> None:
        self._model = model
        self._views: dict[tuple[int, int], WhisperModel] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.audio_seconds = 0.0

    def _model_for(self, options: StreamOptions) -> WhisperModel:
        if options.encoder_pad_s is None:
            return self._model
        key = (int(round(options.encoder_pad_s * 100)), int(round(options.encoder_min_window_s * 100)))
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = short_window_view(self._model, *key)
        return view

    @property
    def model(self) -> WhisperModel:
        return self._model

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions) -> DecodeResult:
        audio = check_audio(audio, where="WhisperDecoder.decode")
        if audio.size == 0:
            return DecodeResult()
        full_prompt = " ".join(p for p in (options.initial_prompt, prompt) if p) or None
        segments, _info = self._model_for(options).transcribe(
            audio,
            language=options.language,
            task="transcribe",
            beam_size=options.beam_size,
            best_of=max(1, options.beam_size),
            temperature=list(options.temperatures),
            compression_ratio_threshold=options.guards.compression_ratio_threshold,
            log_prob_threshold=options.guards.logprob_threshold,
            no_speech_threshold=options.guards.no_speech_threshold,
            condition_on_previous_text=False,
            initial_prompt=full_prompt,
            hotwords=options.hotwords or None,
            max_new_tokens=max(24, int(options.max_tokens_per_s * audio.size / SAMPLE_RATE)),
            word_timestamps=True,
            vad_filter=options.vad_filter,
            without_timestamps=options.without_timestamps,
        )
        result = DecodeResult(segments_from_whisper(segments))
        with self._lock:
            self.calls += 1
            self.audio_seconds += audio.size / SAMPLE_RATE
        return result
