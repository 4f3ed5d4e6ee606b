"""The ingest protocol of the live subtitle service: one module for the server and ``rathaus asr feed``.

Sans-I/O: the frames as pydantic models (versioned, ``type`` discriminator), the close codes and the audio
format. The server (:mod:`asr.live.ingest`) validates what clients send with them; the feed client
(:mod:`asr.live.feed`) builds its frames from them and parses the server's replies with
:func:`parse_server_frame`. See :mod:`asr.live.ingest` for the conversation.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from common.streams import STREAM_ID_PATTERN

__all__ = [
    "CLOSE_POLICY",
    "CLOSE_TRY_AGAIN",
    "CLOSE_UNSUPPORTED",
    "PCM_FORMAT",
    "SAMPLE_RATE",
    "IngestEnd",
    "IngestEnded",
    "IngestError",
    "IngestReady",
    "IngestStart",
    "ServerFrame",
    "parse_server_frame",
]

SAMPLE_RATE = 16_000
PCM_FORMAT = "pcm_s16le"  # signed 16-bit little-endian mono, in binary frames

CLOSE_UNSUPPORTED = 1003
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Client -> server: ``start`` (text), then binary audio, then ``end``.


class IngestStart(_Frame):
    type: Literal["start"] = "start"
    v: Literal[1] = 1
    stream: str = Field(pattern=STREAM_ID_PATTERN)
    language: str = Field(default="de", pattern=r"^[a-z]{2,3}$")
    token: str = Field(default="", max_length=512)
    sample_rate: int = SAMPLE_RATE
    format: str = PCM_FORMAT
    # Unix time of the audio's first sample in the livestream's clock (its EXT-X-PROGRAM-DATE-TIME), when the
    # encoder knows it: announced to viewers so captions follow the picture (docs/live.md)
    origin: float | None = Field(default=None, gt=0)


class IngestEnd(_Frame):
    type: Literal["end"] = "end"
    v: Literal[1] = 1


# Server -> client.
class IngestReady(_Frame):
    type: Literal["ready"] = "ready"
    v: Literal[1] = 1
    stream: str


class IngestEnded(_Frame):
    type: Literal["ended"] = "ended"
    v: Literal[1] = 1
    stream: str
    state: str = "ended"
    cues: int
    audio_s: float


class IngestError(_Frame):
    type: Literal["error"] = "error"
    v: Literal[1] = 1
    code: str
    message: str



ServerFrame = Annotated[IngestReady | IngestEnded | IngestError, Field(discriminator="type")]
_SERVER = TypeAdapter(ServerFrame)


def parse_server_frame(text: str | bytes) -> IngestReady | IngestEnded | IngestError:
    """A frame the server sent; raises :class:`pydantic.ValidationError` for anything else."""
    return _SERVER.validate_json(text)
