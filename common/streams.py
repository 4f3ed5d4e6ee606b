"""What a valid live stream id is: one definition for the subtitle ingest and the gateway.

In the leaf package ``common`` (only ``re``), so ``asr`` and ``channels`` share it without importing
each other. An id names the broker topic ``subtitles:{stream}``, the viewer page ``/live/{stream}`` and
the transcript file names, so it is limited to what is safe in all three: ASCII letters and digits
first, then letters, digits, ``.``, ``_`` and ``-``, at most 64 characters (``rat.2026-09-15`` is
valid; ``..`` and ``.hidden`` are not).
"""

from __future__ import annotations

import re

__all__ = ["STREAM_ID_HINT", "STREAM_ID_PATTERN", "valid_stream_id"]

STREAM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
STREAM_ID_HINT = "1-64 characters: a letter or digit first, then letters, digits, '.', '_' or '-'"
_STREAM_RE = re.compile(STREAM_ID_PATTERN)


def valid_stream_id(stream: str | None) -> bool:
    """Whether ``stream`` may name a live stream (ingest, broker topic, viewer page, transcript)."""
    return stream is not None and _STREAM_RE.fullmatch(stream) is not None
