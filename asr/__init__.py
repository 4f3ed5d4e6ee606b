"""Live and recorded German subtitles on faster-whisper.

This package root stays light: it must not import faster_whisper or ctranslate2, so that tools, tests
and the sans-I/O cores run without a speech model in their process. The heavy parts (:mod:`asr.model`,
:mod:`asr.whisper`, the one module that touches faster-whisper's internals, :mod:`asr.transcribe`)
are imported lazily.

Core modules (sans-I/O, no asyncio): ``options``, ``decoder`` (protocol + Whisper adapter),
``streaming`` (commit policy), ``guards``, ``cues``, ``live`` (the one live pipeline), ``sink`` (where
the live service publishes; ``channels`` implements it, the ``rathaus`` command wires it in).
Subtitle files (WebVTT/SRT) and the ``Cue`` value live in the leaf :mod:`common.subtitles`.
Shells: ``transcribe`` and ``cli`` (files), ``service``/``ingest`` (live). Measurement: ``evaluate``,
``eval_report``, ``anchor`` (the plain faster-whisper reference), ``capacity``.
"""

from __future__ import annotations

from asr.errors import AsrError

__all__ = ["AsrError"]
