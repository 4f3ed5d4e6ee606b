"""faster-whisper behind the :class:`~asr.core.decoder.Decoder` protocol, and the check of every faster-whisper
internal the live decoders use.

Two live decoders (``RATHAUS_ASR_DECODER``, ``--decoder``; :func:`make_decoder`):

* ``ctranslate2`` (default): :class:`~asr.whisper.step.BatchDecoder`, our own decode step on CTranslate2's
  documented Whisper API (``encode``/``generate``/``align``/``detect_language``), batchable. It takes from
  faster-whisper only the loaded model's parts (``WhisperModel.model``, ``.feature_extractor``,
  ``.hf_tokenizer``) and its ``Tokenizer``; nothing is patched.
* ``faster-whisper``: :class:`WhisperDecoder`, the earlier path through ``WhisperModel.transcribe()``, kept to
  compare: :func:`short_window_view` replaces ``WhisperModel.encode`` on a shallow copy of the model, so the
  encoder sees the buffer plus a little padding instead of a 30 s window, and it stops faster-whisper's
  window loop after one window by raising :class:`_WindowLimit` inside its generator; a forced prefix is
  aligned with ``WhisperModel.find_alignment`` and ``faster_whisper.transcribe.merge_punctuations``.

Both use :class:`SileroSpeechDetector`, the bundled Silero VAD (``faster_whisper.vad``).

None of these internals is a documented API, so they may change in any release. :func:`check_internals` runs at
import time and fails with :class:`~asr.errors.ModelError` naming what is missing and the tested version
(:data:`TESTED_VERSION`; ``pyproject.toml`` pins the same minor version); :data:`_INTERNALS` lists exactly
what is used, and by which path. Importing this module loads faster-whisper and CTranslate2: the light modules
(``asr.core.decoder``, ``asr.core.streaming`` ...) never import it at module level.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import faster_whisper.transcribe as _fw_transcribe
import faster_whisper.vad as _fw_vad
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from asr.core.decoder import (
    SAMPLE_RATE,
    DecodedSegment,
    Decoder,
    DecodeResult,
    check_audio,
    join_word_pieces,
    segments_from_whisper,
)
from asr.core.options import StreamOptions
from asr.core.streaming import StreamingTranscriber
from asr.errors import ModelError
from asr.whisper.step import WINDOW_STEP_FRAMES, BatchDecoder, encoder_frames

__all__ = [
    "TESTED_VERSION",
    "WINDOW_STEP_FRAMES",
    "DECODERS",
    "SileroSpeechDetector",
    "WhisperDecoder",
    "check_internals",
    "encoder_frames",
    "live_transcriber",
    "make_decoder",
    "missing_internals",
    "short_window_view",
]

#: The faster-whisper release this module was tested with (pyproject.toml: ``>=1.2.1,<1.3``).
TESTED_VERSION = "1.2.1"

# faster-whisper's defaults: punctuation merged into the neighbouring word by the alignment
_PREPEND_PUNCTUATION = "\"'“¿([{-"
_APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"

def _has(owner: object, *names: str) -> bool:
    return all(hasattr(owner, name) for name in names)


def _model_attributes() -> bool:
    """``WhisperModel.__init__`` still sets the attributes BatchDecoder reads (they exist only on instances)."""
    import inspect

    source = inspect.getsource(WhisperModel.__init__)
    return all(f"self.{name} =" in source for name in ("model", "feature_extractor", "hf_tokenizer"))


#: (what, present?) for every faster-whisper internal used, and by which live decoder.
_INTERNALS: tuple[tuple[str, Any], ...] = (
    # both decoders
    ("faster_whisper.vad.VadOptions", lambda: hasattr(_fw_vad, "VadOptions")),
    ("faster_whisper.vad.get_speech_timestamps", lambda: callable(getattr(_fw_vad, "get_speech_timestamps", None))),
    ("faster_whisper.tokenizer.Tokenizer.sot_sequence", lambda: hasattr(Tokenizer, "sot_sequence")),
    ("faster_whisper.tokenizer.Tokenizer.eot", lambda: hasattr(Tokenizer, "eot")),
    # ctranslate2 (asr/whisper/step.py)
    ("faster_whisper.WhisperModel: .model, .feature_extractor, .hf_tokenizer", _model_attributes),
    (
        "faster_whisper.tokenizer.Tokenizer: sot_prev, no_timestamps, non_speech_tokens, split_to_word_tokens",
        lambda: _has(Tokenizer, "sot_prev", "no_timestamps", "non_speech_tokens", "split_to_word_tokens",
                     "transcribe", "translate", "sot", "sot_lm", "no_speech", "encode", "decode"),
    ),
    # faster-whisper (WhisperDecoder, the earlier path)
    ("faster_whisper.WhisperModel.encode", lambda: callable(getattr(WhisperModel, "encode", None))),
    ("faster_whisper.WhisperModel.find_alignment", lambda: callable(getattr(WhisperModel, "find_alignment", None))),
    (
        "faster_whisper.transcribe.merge_punctuations",
        lambda: callable(getattr(_fw_transcribe, "merge_punctuations", None)),
    ),
)


def missing_internals() -> list[str]:
    """The faster-whisper internals this module needs that the installed release does not have."""
    return [name for name, present in _INTERNALS if not present()]


def check_internals() -> None:
    """Raise :class:`ModelError` when the installed faster-whisper lacks an internal used here."""
    missing = missing_internals()
    if missing:
        raise ModelError(
            f"faster-whisper {version('faster-whisper')} lacks {', '.join(missing)}, which asr/whisper/engine.py"
            " or step.py uses"
            f" (tested with {TESTED_VERSION}); install the tested release (pip install"
            f" 'faster-whisper=={TESTED_VERSION}') or adapt asr/whisper/engine.py and step.py"
        )


check_internals()


class SileroSpeechDetector:
    """faster-whisper's bundled Silero VAD (ONNX, CPU): True when a speech region is found."""

    context_s = 0.3

    def __init__(self, threshold: float = 0.5) -> None:
        self._options = _fw_vad.VadOptions(
            threshold=threshold, min_speech_duration_ms=120, min_silence_duration_ms=200, speech_pad_ms=0
        )

    def __call__(self, audio: np.ndarray) -> bool:
        if audio.size < SAMPLE_RATE // 10:
            return False
        return bool(_fw_vad.get_speech_timestamps(audio, self._options))


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
        keep = encoder_frames(frames, content, pad_frames=pad_frames, min_frames=min_frames)
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
        new_tokens = [t for seg in segments for t in seg.tokens if t < tokenizer.eot]
        if new_tokens[: len(prefix_tokens)] == prefix_tokens:  # CTranslate2 returns the prefix too
            new_tokens = new_tokens[len(prefix_tokens) :]
        if not new_tokens or encoded is None:
            return DecodeResult(prefixed=True)
        num_frames = min(samples // 160, 3000)  # content frames of the window, as faster-whisper counts them
        alignment = view.find_alignment(tokenizer, [prefix_tokens + new_tokens], encoded, num_frames)[0]
        _fw_transcribe.merge_punctuations(alignment, _PREPEND_PUNCTUATION, _APPEND_PUNCTUATION)
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
                    words=join_word_pieces(items),
                    no_speech_prob=float(first.no_speech_prob),
                    avg_logprob=min(float(seg.avg_logprob) for seg in segments),
                    compression_ratio=max(float(seg.compression_ratio) for seg in segments),
                    temperature=float(first.temperature or 0.0),
                ),
            ),
            prefixed=True,
        )


def live_transcriber(decoder: Decoder, options: StreamOptions) -> StreamingTranscriber:
    """The live commit policy over ``decoder``, gated by Silero VAD when ``options.vad`` is on.

    The one place where the service, the evaluation and the capacity benchmark build a transcriber, so
    that all three decode the same audio the same way.
    """
    detector = SileroSpeechDetector(options.vad_threshold) if options.vad else None
    return StreamingTranscriber(decoder, options=options, speech_detector=detector)


#: The live decoders: ``ctranslate2`` (:class:`~asr.whisper.step.BatchDecoder`, our own decode step on
#: CTranslate2, batchable) and ``faster-whisper`` (:class:`WhisperDecoder`, through ``transcribe()``, kept
#: to compare; docs/asr.md, "Decode step").
DECODERS = ("ctranslate2", "faster-whisper")


def make_decoder(model: WhisperModel, kind: str = "faster-whisper") -> BatchDecoder | WhisperDecoder:
    """The live decoder ``kind`` (one of :data:`DECODERS`) over the shared ``model``."""
    if kind == "ctranslate2":
        return BatchDecoder(model)
    if kind == "faster-whisper":
        return WhisperDecoder(model)
    raise ModelError(f"unknown decoder {kind!r}; use one of {', '.join(DECODERS)} (RATHAUS_ASR_DECODER, --decoder)")
