"""Subtitle a recorded meeting: media file -> audio -> Whisper (batched by default) -> guards -> cues.

The audio is decoded with PyAV through faster-whisper's ``decode_audio`` (any container ffmpeg reads,
resampled to 16 kHz mono). Silero VAD skips silence, German is forced, hotwords come from the content.
Segments arrive lazily, so callers can show progress over audio seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from asr.core.cues import build_cues
from asr.core.decoder import SAMPLE_RATE, DecodeResult, Word, check_audio, segments_from_whisper
from asr.core.guards import GuardDrop, SpeechCheck, apply_guards
from asr.core.options import CueOptions, GuardOptions, ModelOptions
from asr.errors import AudioError
from common.subtitles import Cue

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

__all__ = ["TranscribeOptions", "TranscriptionResult", "load_audio", "transcribe_audio", "transcribe_file"]

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]
"""Called with (audio seconds done, audio seconds total)."""


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """Offline (file) transcription. ``batch_size`` > 0 uses faster-whisper's BatchedInferencePipeline
    (VAD chunks decoded in batches), 0 decodes sequentially. Batched is the default by measured
    accuracy against the anchor (plain faster-whisper, :mod:`asr.eval.anchor`): on the six espeak-ng speech
    clips of the evaluation set 0.98 x the anchor's WER, sequential 1.03 x (target: within 1.05 x); it
    is also the faster one (docs/benchmarks.md, "Live subtitles")."""

    language: str | None = "de"
    beam_size: int = 5
    batch_size: int = 8
    vad_filter: bool = True
    condition_on_previous_text: bool = False
    hotwords: str | None = None
    initial_prompt: str | None = None
    guards: GuardOptions = GuardOptions()
    cues: CueOptions = CueOptions()

    def __post_init__(self) -> None:
        if self.batch_size < 0 or self.beam_size < 1:
            raise ValueError("TranscribeOptions needs batch_size >= 0 and beam_size >= 1")


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    """Words and cues of one recording, and what produced them."""

    source: str
    duration: float
    words: tuple[Word, ...]
    cues: tuple[Cue, ...]
    options: TranscribeOptions
    compute_seconds: float
    drops: tuple[GuardDrop, ...] = ()  # what the guards removed, with reasons (logged as well)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def rtf(self) -> float:
        """Real-time factor: compute seconds per audio second."""
        return self.compute_seconds / self.duration if self.duration else 0.0


def load_audio(path: Path | str) -> np.ndarray:
    """Decode any audio/video file to 16 kHz mono float32, or raise :class:`AudioError`."""
    from faster_whisper.audio import decode_audio

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file; check the path")
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises av.error.* (InvalidDataError, ...) and ValueError
        raise AudioError(
            f"{path}: cannot decode audio ({type(exc).__name__}: {exc}); the file is damaged or not a "
            "media file ffmpeg can read (check with `ffprobe`)"
        ) from exc
    if audio.size == 0:
        raise AudioError(f"{path}: the file has no audio stream or no samples")
    return check_audio(audio, where=str(path))


def transcribe_audio(
    audio: np.ndarray,
    model: WhisperModel,
    options: TranscribeOptions | None = None,
    *,
    source: str = "<audio>",
    progress: Progress | None = None,
) -> TranscriptionResult:
    """Transcribe 16 kHz mono float32 audio into guarded words and broadcast-rule cues."""
    options = options or TranscribeOptions()
    audio = check_audio(audio, where=source)
    duration = audio.size / SAMPLE_RATE
    started = time.perf_counter()
    common = dict(
        language=options.language,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=options.vad_filter,
        hotwords=options.hotwords or None,
        initial_prompt=options.initial_prompt or None,
        condition_on_previous_text=options.condition_on_previous_text,
        compression_ratio_threshold=options.guards.compression_ratio_threshold,
        log_prob_threshold=options.guards.logprob_threshold,
        # faster-whisper would skip "no speech" windows silently; our guards decide, with the VAD, and count
        no_speech_threshold=None,
    )
    if options.batch_size > 0:
        from faster_whisper import BatchedInferencePipeline

        pipeline = BatchedInferencePipeline(model=model)
        segments, _info = pipeline.transcribe(audio, batch_size=options.batch_size, **common)  # type: ignore[arg-type]
    else:
        segments, _info = model.transcribe(audio, **common)  # type: ignore[arg-type]
    words: list[Word] = []
    drops: list[GuardDrop] = []
    has_speech = _speech_check(audio)
    for segment in segments:
        decoded = segments_from_whisper([segment])
        guarded = apply_guards(DecodeResult(decoded), options.guards, has_speech=has_speech)
        words.extend(guarded.words)
        for drop in guarded.drops:
            log.info(
                "asr.guard.dropped source=%s reason=%s words=%d start=%.2f end=%.2f text=%r",
                source,
                drop.reason.value,
                len(drop.words),
                drop.start,
                drop.end,
                drop.text,
            )
        drops.extend(guarded.drops)
        if progress is not None:
            progress(min(float(segment.end), duration), duration)
    if progress is not None:
        progress(duration, duration)
    words.sort(key=lambda w: w.start)  # batched chunks come in order; sort defends against overlap
    cues = build_cues(words, options.cues)
    elapsed = time.perf_counter() - started
    log.info(
        "asr.file.transcribed source=%s duration=%.1f rtf=%.2f cues=%d",
        source,
        duration,
        elapsed / max(duration, 1e-9),
        len(cues),
    )
    return TranscriptionResult(source, duration, tuple(words), tuple(cues), options, elapsed, tuple(drops))


def _speech_check(audio: np.ndarray) -> SpeechCheck:
    """Silero VAD over a stretch of ``audio`` (file times), for the guards' suspicious segments."""
    from asr.whisper.engine import SileroSpeechDetector

    detect = SileroSpeechDetector()

    def has_speech(start: float, end: float) -> bool:
        a = max(0, int(start * SAMPLE_RATE))
        b = min(audio.size, int(end * SAMPLE_RATE))
        return b > a and detect(audio[a:b])

    return has_speech


def transcribe_file(
    path: Path | str,
    *,
    model_options: ModelOptions | None = None,
    options: TranscribeOptions | None = None,
    progress: Progress | None = None,
) -> TranscriptionResult:
    """Decode ``path`` and transcribe it with the process-wide shared model."""
    from asr.whisper.model import get_shared_model

    audio = load_audio(path)
    model = get_shared_model(model_options or ModelOptions())
    return transcribe_audio(audio, model, options, source=str(path), progress=progress)
