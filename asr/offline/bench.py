"""Benchmarks of the core that print numbers (not tests): file path sequential vs batched, encoder window.

rathaus subtitles bench MEETING.wav --ref MEETING.txt
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asr.core.options import ModelOptions

__all__ = ["EncoderTiming", "FileTiming", "bench_encoder", "bench_file"]


@dataclass(frozen=True, slots=True)
class FileTiming:
    batch_size: int
    wall_s: float
    cpu_s: float
    audio_s: float
    wer: float | None
    words: int


@dataclass(frozen=True, slots=True)
class EncoderTiming:
    window_s: float
    wall_s: float
    cpu_s: float


def bench_file(
    path: Path, reference: str | None, model_options: ModelOptions, batch_sizes: tuple[int, ...] = (0, 8)
) -> list[FileTiming]:
    """Transcribe ``path`` once per batch size; WER against ``reference`` when given."""
    import jiwer

    from asr.core.textnorm import normalize
    from asr.offline.transcribe import TranscribeOptions, load_audio, transcribe_audio
    from asr.whisper.model import get_shared_model

    audio = load_audio(path)
    model = get_shared_model(model_options)
    out = []
    for batch in batch_sizes:
        wall, cpu = time.perf_counter(), time.process_time()
        result = transcribe_audio(audio, model, TranscribeOptions(batch_size=batch), source=str(path))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        wer = None
        if reference:
            wer = float(jiwer.wer(normalize(reference), normalize(result.text) or "<leer>"))
        out.append(FileTiming(batch, wall, cpu, result.duration, wer, len(result.words)))
    return out


def bench_encoder(
    model_options: ModelOptions, *, buffer_s: float = 10.0, pad_s: float = 3.0, repeats: int = 3
) -> list[EncoderTiming]:
    """Encoder cost per call for the full 30 s window and for ``buffer_s`` + ``pad_s`` (streaming)."""
    from faster_whisper.audio import pad_or_trim

    from asr.whisper.engine import short_window_view
    from asr.whisper.model import get_shared_model

    model = get_shared_model(model_options)
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(int(buffer_s * 16_000)) * 0.05).astype(np.float32)
    features = pad_or_trim(model.feature_extractor(audio))
    out = []
    for window, encoder in ((30.0, model), (buffer_s + pad_s, short_window_view(model, int(pad_s * 100)))):
        encoder.encode(features)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            encoder.encode(features)
        out.append(EncoderTiming(window, (time.perf_counter() - wall) / repeats, (time.process_time() - cpu) / repeats))
    return out
