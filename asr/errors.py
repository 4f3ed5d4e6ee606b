"""Exceptions of the subtitle package.

Hierarchy::

    AsrError                  root; catch this to handle every subtitle failure
    ├── ModelError            the Whisper model cannot be assembled, verified or loaded
    ├── AudioError            an audio or video input cannot be read or has the wrong format
    └── SynthError            espeak-ng/sox could not render test speech

Messages say what failed, where, and what to do about it.
"""

from __future__ import annotations

__all__ = ["AsrError", "AudioError", "ModelError", "SynthError"]


class AsrError(Exception):
    """Root of every error raised by :mod:`asr`."""


class ModelError(AsrError):
    """The speech model is missing, corrupt, or cannot be loaded."""


class AudioError(AsrError):
    """An audio/video input is unreadable or not 16 kHz mono float32 where that is required."""


class SynthError(AsrError):
    """Test speech could not be rendered (espeak-ng, sox or ffmpeg missing or failing)."""
