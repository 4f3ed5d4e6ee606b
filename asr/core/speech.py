"""Speech detection for the commit policy: the detector protocol, a cheap energy detector, and where
speech begins in a buffer. Pure: the Silero detector lives with the speech engine (asr.whisper.engine)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["EnergySpeechDetector", "SpeechDetector", "speech_onset"]

SpeechDetector = Callable[[np.ndarray], bool]
"""Returns True when the float32 16 kHz audio contains speech. An optional ``context_s`` attribute asks
for that many seconds of audio before the new chunk (Silero needs some lead-in)."""


class EnergySpeechDetector:
    """A cheap RMS-level detector (for tests and as a fallback when Silero is unavailable)."""

    context_s = 0.0

    def __init__(self, threshold_dbfs: float = -40.0) -> None:
        self.threshold = 10 ** (threshold_dbfs / 20)

    def __call__(self, audio: np.ndarray) -> bool:
        if audio.size == 0:
            return False
        frame = 480  # 30 ms
        usable = audio[: audio.size - audio.size % frame] if audio.size >= frame else audio
        frames = usable.reshape(-1, frame) if usable.size >= frame else usable.reshape(1, -1)
        rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
        return bool((rms > self.threshold).any())


def speech_onset(detect: SpeechDetector, audio: np.ndarray, *, step: int) -> int | None:
    """The first sample of ``audio`` where ``detect`` hears speech, to ``step`` samples: the shortest
    start of ``audio`` that holds speech, by bisection; ``None`` when ``audio`` holds none."""
    low, high = 0, audio.size
    if high <= step or not detect(audio[:high]):
        return None
    while high - low > step:
        middle = (low + high) // 2
        if detect(audio[:middle]):
            high = middle
        else:
            low = middle
    return low
