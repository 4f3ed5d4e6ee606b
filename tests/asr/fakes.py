"""Test doubles for the live service: a decoder that reads words out of synthetic audio.

:func:`coded_audio` writes words into audio as runs of a constant sample value (word number / 1000,
separated by short zero gaps); :class:`CodedDecoder` reads them back with exact timestamps. So the real
:class:`~asr.core.streaming.StreamingTranscriber` commits real words, re-decodes agree, and no model is needed.
``delay_s`` makes each decode sleep in the worker thread (a slow model); ``fail_on`` raises.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import numpy as np

from asr.core.cues import CueBuilder
from asr.core.decoder import DecodeResult, Word
from asr.core.options import StreamOptions
from asr.core.streaming import StreamingTranscriber

__all__ = ["CodedDecoder", "coded_audio", "coded_pcm", "fake_factory", "word_text"]

SR = 16_000
WORD_S = 0.4
GAP_S = 0.1


def word_text(k: int) -> str:
    return f"wort{k}" + ("." if k % 6 == 0 else "")


def coded_audio(first: int, count: int) -> np.ndarray:
    """``count`` words numbered from ``first`` (1..999), each 0.4 s, 0.1 s apart, as float32."""
    parts = []
    for k in range(first, first + count):
        value = (k % 999 or 999) / 1000
        parts.append(np.full(int(WORD_S * SR), value, dtype=np.float32))
        parts.append(np.zeros(int(GAP_S * SR), dtype=np.float32))
    return np.concatenate(parts)


def coded_pcm(first: int, count: int) -> bytes:
    """:func:`coded_audio` as PCM16 little-endian bytes (what the ingest takes)."""
    return (coded_audio(first, count) * 32768).round().astype("<i2").tobytes()


class CodedDecoder:
    """Decodes :func:`coded_audio`: each run of a constant non-zero value >= 0.2 s is one word."""

    def __init__(self, *, delay_s: float = 0.0, fail_on: Callable[[np.ndarray], bool] | None = None) -> None:
        self.delay_s = delay_s
        self.fail_on = fail_on
        self.calls = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def decode(self, audio: np.ndarray, *, prompt: str, options: StreamOptions) -> DecodeResult:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_on is not None and self.fail_on(audio):
            raise RuntimeError("scripted decoder failure")
        codes = np.rint(audio * 1000).astype(np.int32)
        words: list[Word] = []
        edges = np.flatnonzero(np.diff(codes)) + 1
        starts = np.concatenate([[0], edges])
        ends = np.concatenate([edges, [codes.size]])
        for s, e in zip(starts, ends, strict=True):
            k = int(codes[s])
            if k > 0 and e - s >= int(0.2 * SR) and e < codes.size:  # a word still being spoken is not out yet
                words.append(Word(word_text(k), s / SR, e / SR, 0.9))
        return DecodeResult.from_words(words)


def fake_factory(decoder: CodedDecoder, *, min_chunk_s: float = 1.0):  # type: ignore[no-untyped-def]
    """A service factory binding the real transcriber and cue builder to ``decoder`` (no VAD)."""
    options = dataclasses.replace(StreamOptions(), vad=False, min_chunk_s=min_chunk_s)

    def factory(stream: str, language: str):  # type: ignore[no-untyped-def]
        return StreamingTranscriber(decoder, options=options), CueBuilder()

    return factory
