"""WebSocket ingest: encoders and ``rathaus asr feed`` push live meeting audio to the service.

Protocol (one stream per connection, path ``/ingest``)::

    client -> {"type": "start", "stream": "rat-2026-09-15", "language": "de", "token": "...",
               "sample_rate": 16000, "format": "pcm_s16le"}
    server <- {"type": "ready", "v": 1, "stream": "rat-2026-09-15"}
    client -> binary frames: 16 kHz mono signed 16-bit little-endian PCM, whole samples (even length)
    client -> {"type": "end"}
    server <- {"type": "ended", "v": 1, "stream": "...", "cues": 42, "audio_s": 3600.0}   then close 1000

Errors come as ``{"type": "error", "v": 1, "code": "...", "message": "..."}``. Fatal ones are followed
by a close frame: a missing/wrong token, a start that is not JSON or lacks fields, binary audio before
``start`` and a duplicate stream id close with 1008 (policy violation); an unsupported sample rate or
format closes with 1003 (unsupported data); a full process closes with 1013 (try again later); a frame
over ``max_frame_bytes`` is refused by the websockets library with 1009 (message too big). Two cases are
not fatal: an odd-length binary frame gets an ``odd_frame`` error, its last byte is dropped and the
rest is used (frames must hold whole samples, so the next frame stays aligned); an unknown control
message gets ``unknown_type``.

Whatever ends a connection (``end``, a disconnect, an oversized frame) the stream is finished the same
way: queued audio is decoded, the committed words become cues and are published. Other streams are
never affected. ``/healthz`` answers 200 and ``/metrics`` serves Prometheus metrics on the same port (only with
``RATHAUS_METRICS_TOKEN`` set, as ``Authorization: Bearer``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from asr.live.protocol import (
    CLOSE_POLICY,
    CLOSE_TRY_AGAIN,
    CLOSE_UNSUPPORTED,
    PCM_FORMAT,
    IngestEnded,
    IngestError,
    IngestReady,
    IngestStart,
)
from asr.live.service import (
    StreamBusy,
    StreamClosed,
    StreamExists,
    StreamHandle,
    SubtitleService,
    TooManyStreams,
)
from common.auth import GuessThrottle, ThrottleOptions, Verdict, check_token_strength, tokens_equal
from common.metrics_access import metrics_access

__all__ = ["IngestServer", "start_ingest"]

log = logging.getLogger(__name__)

class _Reject(Exception):
    """A fatal protocol error: send an error frame, then close with ``close_code``."""

    def __init__(self, code: str, message: str, close_code: int = CLOSE_POLICY) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code


class IngestServer:
    """The connection handler and HTTP side routes; :func:`start_ingest` binds it to a port."""

    def __init__(
        self,
        service: SubtitleService,
        *,
        token: str | None,
        start_timeout_s: float = 10.0,
        sample_rate: int = 16_000,
        throttle: ThrottleOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        metrics_token: str | None = None,
    ) -> None:
        if not token:
            raise ValueError(
                "the ingest needs a token: set RATHAUS_ASR_INGEST_TOKEN (or pass --token) to a long random value"
            )
        check_token_strength(token, variable="RATHAUS_ASR_INGEST_TOKEN (or --token)")
        self.service = service
        self._token = token
        self._guesses = GuessThrottle(throttle or ThrottleOptions())
        self._clock = clock
        self._start_timeout_s = start_timeout_s
        self._sample_rate = sample_rate
        self._metrics_token = metrics_token

    # ------------------------------------------------------------------ HTTP routes
    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if path == "/metrics":
            access = metrics_access(request.headers.get("Authorization"), token=self._metrics_token,
                                    setting="RATHAUS_METRICS_TOKEN")
            if not access.allowed:
                return connection.respond(HTTPStatus(access.status), access.reason)
            body = self.service.metrics.render()
            headers = Headers(
                [
                    ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ]
            )
            return Response(HTTPStatus.OK.value, HTTPStatus.OK.phrase, headers, body)
        if path not in ("/ingest", "/"):
            return connection.respond(HTTPStatus.NOT_FOUND, "not found: the ingest endpoint is /ingest\n")
        return None

    # ------------------------------------------------------------------ WebSocket
    async def handler(self, ws: ServerConnection) -> None:
        peer = ws.remote_address
        try:
            start = await self._receive_start(ws, address=str(peer[0]) if peer else "unknown")
        except _Reject as reject:
            self.service.metrics.ingest_rejected.labels(reject.code).inc()
            log.warning("asr.live.ingest.rejected peer=%s code=%s", peer, reject.code)
            await self._fail(ws, reject)
            return
        except ConnectionClosed:
            return
        try:
            handle = await self.service.open_stream(start.stream, language=start.language, origin=start.origin)
        except StreamExists as exc:
            await self._fail(ws, _Reject("duplicate_stream", str(exc)))
            return
        except TooManyStreams as exc:
            await self._fail(ws, _Reject("too_many_streams", str(exc), CLOSE_TRY_AGAIN))
            return
        log.info("asr.live.ingest.started stream=%s peer=%s", start.stream, peer)
        detail: str | None = None
        failed = False
        try:
            await ws.send(IngestReady(stream=start.stream).model_dump_json())
            detail = await self._pump(ws, handle)
        except (StreamClosed, StreamBusy) as exc:
            detail = "Die Untertitel konnten nicht weiterlaufen."
            failed = True
            log.warning("asr.live.ingest.stream_stopped stream=%s error=%s", start.stream, exc)
            await self._send_error(ws, "stream_stopped", str(exc))
        except ConnectionClosed as exc:
            detail = "Die Verbindung zur Tonquelle wurde unterbrochen."
            code = exc.rcvd.code if exc.rcvd else None
            log.warning("asr.live.ingest.disconnected stream=%s code=%s", start.stream, code)
        except Exception as exc:  # noqa: BLE001 - end the stream cleanly whatever went wrong
            detail = "Die Tonquelle hat einen Fehler gemeldet."
            failed = True
            log.exception("asr.live.ingest.failed stream=%s", start.stream)
            await self._send_error(ws, "internal", f"ingest failed: {type(exc).__name__}")
        finally:
            # Shielded: a cancelled handler (server shutdown) still flushes the committed cues.
            summary = await asyncio.shield(handle.end(detail, failed=failed))
        try:
            ended = IngestEnded(
                stream=summary.stream,
                state=summary.state,
                cues=summary.cues,
                audio_s=round(summary.audio_s, 3),
            )
            await ws.send(ended.model_dump_json())
            await ws.close(1000, "stream ended")
        except ConnectionClosed:
            pass

    async def _receive_start(self, ws: ServerConnection, *, address: str) -> IngestStart:
        try:
            first = await asyncio.wait_for(ws.recv(), timeout=self._start_timeout_s)
        except TimeoutError as exc:
            raise _Reject("start_timeout", f"no start message within {self._start_timeout_s:g} s") from exc
        if isinstance(first, bytes):
            raise _Reject("no_start", 'binary audio before the start message; send {"type":"start",...} first')
        try:
            data = json.loads(first)
        except (ValueError, RecursionError) as exc:
            raise _Reject("invalid_json", "start message is not a flat JSON object") from exc
        if not isinstance(data, dict) or data.get("type") != "start":
            raise _Reject("no_start", 'the first message must be {"type":"start", "stream":..., "token":...}')
        now = self._clock()
        verdict = self._guesses.check(address, now=now)
        if verdict is not Verdict.ALLOWED:
            log.warning("asr.live.ingest.auth_throttled peer=%s limit=%s", address, verdict.value)
            retry = self._guesses.retry_after(address, now=now)
            raise _Reject("too_many_attempts", f"too many wrong ingest tokens; retry in {retry:.0f} s")
        if not tokens_equal(str(data.get("token", "")), self._token):
            self._guesses.failed(address, now=now)
            raise _Reject("unauthorized", "missing or wrong ingest token")
        try:
            start = IngestStart.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
            raise _Reject("invalid_start", f"start message has invalid fields: {fields}") from exc
        if start.sample_rate != self._sample_rate:
            raise _Reject(
                "unsupported_sample_rate",
                f"sample_rate {start.sample_rate} is not supported; resample to {self._sample_rate} Hz mono",
                CLOSE_UNSUPPORTED,
            )
        if start.format != PCM_FORMAT:
            raise _Reject(
                "unsupported_format",
                f"format {start.format!r} is not supported; send pcm_s16le (signed 16-bit little-endian)",
                CLOSE_UNSUPPORTED,
            )
        return start

    async def _pump(self, ws: ServerConnection, handle: StreamHandle) -> str | None:
        """Forward audio until ``end``; returns the end detail (None for a normal end)."""
        async for message in ws:
            if isinstance(message, bytes):
                if len(message) % 2:
                    self.service.metrics.ingest_rejected.labels("odd_frame").inc()
                    await self._send_error(
                        ws,
                        "odd_frame",
                        f"binary frame of {len(message)} bytes is not whole 16-bit samples; last byte dropped",
                    )
                    message = message[:-1]
                if message:
                    await handle.feed(message)
                continue
            try:
                data: Any = json.loads(message)
            except (ValueError, RecursionError):
                await self._send_error(ws, "invalid_json", "control message is not JSON")
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "end":
                return None
            if kind == "start":
                await self._send_error(ws, "already_started", "this connection already carries a stream")
                continue
            await self._send_error(ws, "unknown_type", f"unknown control message type {kind!r}; expected 'end'")
        # The iterator ends silently on a normal close by the client without an end message.
        return "Die Tonquelle hat die Verbindung beendet."

    async def _send_error(self, ws: ServerConnection, code: str, message: str) -> None:
        try:
            await ws.send(IngestError(code=code, message=message).model_dump_json())
        except ConnectionClosed:
            pass

    async def _fail(self, ws: ServerConnection, reject: _Reject) -> None:
        await self._send_error(ws, reject.code, reject.message)
        try:
            await ws.close(reject.close_code, reject.code)
        except ConnectionClosed:
            pass


async def start_ingest(
    service: SubtitleService,
    *,
    host: str,
    port: int,
    token: str | None,
    max_frame_bytes: int = 1 << 20,
    start_timeout_s: float = 10.0,
    metrics_token: str | None = None,
) -> Server:
    """Listen for ingest connections; close the returned server (``server.close(); await
    server.wait_closed()``) before closing the service. ``/metrics`` answers only with ``metrics_token``
    (``Authorization: Bearer``)."""
    ingest = IngestServer(service, token=token, start_timeout_s=start_timeout_s, metrics_token=metrics_token)
    server = await serve(
        ingest.handler,
        host,
        port,
        process_request=ingest.process_request,
        max_size=max_frame_bytes,
        compression=None,  # PCM does not compress; deflate would only cost CPU
    )
    log.info("asr.live.ingest.listening host=%s port=%d", host, port)
    return server
