"""The ingest protocol models, shared by the server and the feed client (no network)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from asr.live.protocol import (
    PCM_FORMAT,
    SAMPLE_RATE,
    IngestEnded,
    IngestError,
    IngestReady,
    IngestStart,
    parse_server_frame,
)


def test_start_frame_carries_the_audio_format_and_version() -> None:
    frame = json.loads(IngestStart(stream="rat-2026-09-15", token="t").model_dump_json())
    assert frame == {
        "type": "start", "v": 1, "stream": "rat-2026-09-15", "language": "de", "token": "t",
        "sample_rate": SAMPLE_RATE, "format": PCM_FORMAT, "origin": None,
    }
    with pytest.raises(ValidationError):
        IngestStart(stream="../etc")
    with pytest.raises(ValidationError):  # a Unix time of the livestream's clock, or nothing
        IngestStart(stream="rat", origin=0)


def test_server_frames_parse_by_type() -> None:
    assert parse_server_frame('{"type": "ready", "v": 1, "stream": "rat"}') == IngestReady(stream="rat")
    ended = parse_server_frame(IngestEnded(stream="rat", cues=3, audio_s=9.5).model_dump_json())
    assert isinstance(ended, IngestEnded) and ended.cues == 3
    assert isinstance(parse_server_frame('{"type": "error", "code": "x", "message": "y"}'), IngestError)
    for bad in ('{"type": "start", "stream": "rat"}', '{"type": "ready"}', "nicht json"):
        with pytest.raises(ValidationError):
            parse_server_frame(bad)
