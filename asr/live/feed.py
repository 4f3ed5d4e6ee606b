"""``rathaus asr feed``: a WebSocket ingest client that streams a source at real-time speed.

Reads any file or URL through :func:`asr.live.sources.open_source` (paced to real time unless ``realtime``
is off; an HLS livestream's program date time of its first sample goes to the ingest as ``origin``), speaks
the ingest protocol of :mod:`asr.live.ingest`, prints the server's error frames, and ends
the stream with ``{"type": "end"}`` on end of input or Ctrl-C, so the service flushes the last cues.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from asr.errors import AsrError
from asr.live.protocol import IngestEnd, IngestEnded, IngestError, IngestReady, IngestStart, parse_server_frame

__all__ = ["feed_source"]

console = Console(stderr=True)


async def feed_source(
    source: str,
    *,
    stream: str,
    url: str,
    token: str,
    language: str,
    loop_forever: bool,
    realtime: bool,
    open_timeout: float,
) -> IngestEnded | None:
    """Stream ``source`` into the ingest at ``url`` as ``stream``; returns the server's ``ended`` frame
    (``None`` when the server closed without one)."""
    from asr.live.sources import SourceOptions

    options = SourceOptions(open_timeout_s=open_timeout, read_timeout_s=open_timeout)
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with contextlib.suppress(NotImplementedError):
            running.add_signal_handler(sig, stop.set)  # Ctrl-C ends the stream cleanly
    try:
        return await _stream(source, stream, url, token, language, loop_forever, realtime, options, stop)
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                running.remove_signal_handler(sig)


async def _stream(
    source: str,
    stream: str,
    url: str,
    token: str,
    language: str,
    loop_forever: bool,
    realtime: bool,
    options: Any,
    stop: asyncio.Event,
) -> IngestEnded | None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from asr.live.sources import open_source

    source_audio = await open_source(source, options=options, realtime=realtime, loop_forever=loop_forever)
    async with connect(url, max_size=None, compression=None) as ws:
        start = IngestStart(stream=stream, language=language, token=token, origin=source_audio.origin)
        await ws.send(start.model_dump_json(exclude_none=True))  # no "origin": a service before it takes it too
        reply = _server_frame(await ws.recv())
        if not isinstance(reply, IngestReady):
            detail = f"{reply.code}: {reply.message}" if isinstance(reply, IngestError) else reply.type
            raise AsrError(f"ingest refused stream {stream!r}: {detail}")
        final: list[IngestEnded] = []

        async def read_replies() -> None:
            async for message in ws:
                frame = _server_frame(message)
                if isinstance(frame, IngestError):
                    console.print(f"[yellow]ingest:[/] {frame.code}: {frame.message}")
                elif isinstance(frame, IngestEnded):
                    final.append(frame)

        reader = asyncio.create_task(read_replies())
        try:
            async for pcm in source_audio:
                if stop.is_set() or reader.done():
                    break
                await ws.send(pcm)
            if not reader.done():
                await ws.send(IngestEnd().model_dump_json())
                await asyncio.wait_for(reader, timeout=120)
        except ConnectionClosed as exc:
            raise AsrError(f"the ingest closed the connection: {exc}") from exc
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await reader
        return final[-1] if final else None


def _server_frame(message: str | bytes) -> IngestReady | IngestEnded | IngestError:
    try:
        return parse_server_frame(message)
    except ValidationError as exc:
        raise AsrError(f"the ingest sent a frame this client does not understand: {exc.errors()[0]['msg']}") from exc
