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
    "PrefixDecoder",
    "WhisperDecoder",
    "Word",
    "check_audio",
    "join_words",
    "segments_from_whisper",
    "short_window_view",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# faster-whisper's defaults: punctuation merged into the neighbouring word by the alignment
_PREPEND_PUNCTUATION = "\"'“¿([{-"
_APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"


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


def _join_word_pieces(items: Iterable[tuple[str, float, float, float]]) -> tuple[Word, ...]:
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
            words=_join_word_pieces((w.word, w.start, w.end, w.probability) for w in seg.words or ()),
            no_speech_prob=float(seg.no_speech_prob),
            avg_logprob=float(seg.avg_logprob),
            compression_ratio=float(seg.compression_ratio),
            temperature=float(seg.temperature or 0.0),
        )
        for seg in segments
    )


class _WindowLimit(Exception):
    """Raised inside faster-whisper's window loop to stop it after the first window (see WhisperDecoder)."""


_window_guard = threading.local()


def short_window_view(model: WhisperModel, pad_frames: int | None, min_frames: int = 200) -> WhisperModel:
    """A view of ``model`` whose encoder sees the audio plus ``pad_frames`` of padding, not 30 s.

    Whisper always encodes a 30 s window; for a 5-10 s streaming buffer most of that is zero padding,
    and the encoder dominates the cost. CTranslate2 accepts shorter inputs (as whisper.cpp's
    ``audio_ctx``), so the view cuts the trailing padding (feature columns that are exactly zero, which
    is what ``pad_or_trim`` appends) down to ``pad_frames`` (10 ms each); ``None`` keeps the full window.
    The copy is shallow: the CTranslate2 model, tokenizer and feature extractor are shared, nothing is
    loaded twice.

    The view also enforces :class:`WhisperDecoder`'s one-window limit: while a thread decodes with
    ``single_window``, a second encoder call in the same transcription (faster-whisper seeking back to
    the last word end and decoding the rest of the buffer as a new window) raises ``_WindowLimit``.
    """
    view = copy.copy(model)
    full_encode = model.encode

    def encode(features: np.ndarray) -> Any:
        calls = getattr(_window_guard, "calls", None)
        if calls is not None:
            if calls >= 1:
                raise _WindowLimit
            _window_guard.calls = calls + 1
        output = _encode(np.asarray(features))
        if getattr(_window_guard, "capture", False) and getattr(_window_guard, "encoded", None) is None:
            _window_guard.encoded = output  # the prefix decode aligns against it (WhisperDecoder)
        return output

    def _encode(array: np.ndarray) -> Any:
        if pad_frames is None:
            return full_encode(array)
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

    ``prefix`` (the streaming core's committed words still inside the buffer) is forced as the start of
    the decoded text: Whisper continues the committed text instead of decoding the buffer afresh, and
    the result holds only the words after it (CTranslate2 still steps through the forced tokens, so it
    costs about what re-decoding them would). Live steps decode one Whisper window
    (``options.single_window``).
    """

    accepts_prefix = True  # the streaming core passes committed text as ``prefix`` only to such decoders

    def __init__(self, model: WhisperModel) -> None:
        self._model = model
        self._views: dict[tuple[int | None, int], WhisperModel] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.windows_cut = 0
        self.audio_seconds = 0.0
        self._tokenizers: dict[str, Any] = {}

    def _model_for(self, options: StreamOptions) -> WhisperModel:
        pad = None if options.encoder_pad_s is None else int(round(options.encoder_pad_s * 100))
        key = (pad, int(round(options.encoder_min_window_s * 100)))
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = short_window_view(self._model, *key)
        return view

    @property
    def model(self) -> WhisperModel:
        return self._model

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions, prefix: str = "") -> DecodeResult:
        """Decode one buffer (see the class docstring); ``prefix``: committed text at the buffer start."""
        audio = check_audio(audio, where="WhisperDecoder.decode")
        if audio.size == 0:
            return DecodeResult()
        view = self._model_for(options)
        prefix = " ".join(prefix.split())
        prefix_tokens: list[int] = []
        tokenizer = None
        if prefix and options.language:
            tokenizer = self._tokenizer(view, options.language)
            prefix_tokens = tokenizer.encode(" " + prefix)
            if len(prefix_tokens) >= view.max_length // 2:  # faster-whisper would cut it: decode plainly
                prefix, prefix_tokens, tokenizer = "", [], None
        else:
            prefix = ""
        # With a prefix faster-whisper drops the hotwords, so they lead the prompt instead.
        parts = (options.hotwords if prefix else None, options.initial_prompt, prompt)
        full_prompt = " ".join(p for p in parts if p) or None
        max_new = max(24, int(options.max_tokens_per_s * audio.size / SAMPLE_RATE))
        if tokenizer is not None:
            prompt_len = min(len(tokenizer.encode(" " + full_prompt)) if full_prompt else 0, view.max_length // 2 - 1)
            room = view.max_length - (prompt_len + 1 + len(tokenizer.sot_sequence) + 1 + len(prefix_tokens)) - 1
            max_new = max(1, min(max_new, room))
        segments, _info = view.transcribe(
            audio,
            language=options.language,
            task="transcribe",
            beam_size=options.beam_size,
            best_of=max(1, options.beam_size),
            temperature=list(options.temperatures),
            compression_ratio_threshold=options.guards.compression_ratio_threshold,
            log_prob_threshold=options.guards.logprob_threshold,
            # faster-whisper would skip a "no speech" window silently; the guards decide, with the VAD
            no_speech_threshold=None,
            condition_on_previous_text=False,
            initial_prompt=full_prompt,
            hotwords=None if prefix else options.hotwords or None,
            prefix=prefix or None,
            max_new_tokens=max_new,
            word_timestamps=not prefix,  # with a prefix the words are aligned here, prefix included
            vad_filter=options.vad_filter,
            without_timestamps=True if prefix else options.without_timestamps,
        )
        _window_guard.calls = 0 if options.single_window else None
        _window_guard.capture = bool(prefix)
        _window_guard.encoded = None
        collected: list[Any] = []
        try:
            for segment in segments:  # lazy: each window is decoded when the loop reaches it
                collected.append(segment)
        except _WindowLimit:
            self.windows_cut += 1
        finally:
            encoded = _window_guard.encoded
            _window_guard.calls = None
            _window_guard.capture = False
            _window_guard.encoded = None
        if tokenizer is not None:
            result = self._aligned_after_prefix(view, tokenizer, collected, prefix_tokens, encoded, audio.size)
        else:
            result = DecodeResult(segments_from_whisper(collected))
        with self._lock:
            self.calls += 1
            self.audio_seconds += audio.size / SAMPLE_RATE
        return result

    def _tokenizer(self, view: WhisperModel, language: str) -> Any:
        from faster_whisper.tokenizer import Tokenizer

        with self._lock:
            tokenizer = self._tokenizers.get(language)
            if tokenizer is None:
                tokenizer = Tokenizer(view.hf_tokenizer, view.model.is_multilingual, "transcribe", language)
                self._tokenizers[language] = tokenizer
        return tokenizer

    @staticmethod
    def _aligned_after_prefix(
        view: WhisperModel,
        tokenizer: Any,
        segments: Sequence[Any],
        prefix_tokens: list[int],
        encoded: Any,
        samples: int,
    ) -> DecodeResult:
        """Word times of the text decoded after ``prefix_tokens``.

        Whisper's word alignment (cross-attention + DTW) must see the prefix too: aligned alone, the new
        words would be spread over the whole buffer from its start. So prefix and new tokens are aligned
        together and only the words after the prefix are kept (a word that straddles the boundary keeps
        its new part).
        """
        from faster_whisper.transcribe import merge_punctuations

        new_tokens = [t for seg in segments for t in seg.tokens if t < tokenizer.eot]
        if new_tokens[: len(prefix_tokens)] == prefix_tokens:  # CTranslate2 returns the prefix too
            new_tokens = new_tokens[len(prefix_tokens) :]
        if not new_tokens or encoded is None:
            return DecodeResult(prefixed=True)
        num_frames = min(samples // 160, 3000)  # content frames of the window, as faster-whisper counts them
        alignment = view.find_alignment(tokenizer, [prefix_tokens + new_tokens], encoded, num_frames)[0]
        merge_punctuations(alignment, _PREPEND_PUNCTUATION, _APPEND_PUNCTUATION)
        items: list[tuple[str, float, float, float]] = []
        seen = 0
        for timing in alignment:
            before, seen = seen, seen + len(timing["tokens"])
            if seen <= len(prefix_tokens):
                continue
            text = timing["word"]
            if before < len(prefix_tokens):
                text = tokenizer.decode(timing["tokens"][len(prefix_tokens) - before :])
            items.append((text, float(timing["start"]), float(timing["end"]), float(timing["probability"])))
        first = segments[0]
        return DecodeResult(
            (
                DecodedSegment(
                    words=_join_word_pieces(items),
                    no_speech_prob=float(first.no_speech_prob),
                    avg_logprob=min(float(seg.avg_logprob) for seg in segments),
                    compression_ratio=max(float(seg.compression_ratio) for seg in segments),
                    temperature=float(first.temperature or 0.0),
                ),
            ),
            prefixed=True,
        )
