"""Live and recorded German subtitles on faster-whisper.

This package root stays light: it must not import faster_whisper or ctranslate2, because the gateway
imports :mod:`asr.formats` and :mod:`asr.cues` without wanting a speech model in its process. The heavy
parts (:mod:`asr.model`, :class:`asr.decoder.WhisperDecoder`, :mod:`asr.transcribe`) import
faster-whisper lazily.

Core modules (sans-I/O, no asyncio): ``options``, ``decoder`` (protocol + Whisper adapter),
``streaming`` (commit policy), ``guards``, ``cues``, ``live`` (the one live pipeline), ``formats``.
Shells: ``transcribe`` and ``cli`` (files), ``service``/``ingest`` (live). Measurement: ``evaluate``,
``eval_report``, ``anchor`` (the plain faster-whisper reference), ``capacity``.
"""

from __future__ import annotations

from asr.errors import AsrError

__all__ = ["AsrError"]
