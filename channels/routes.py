"""WebSocket and HTTP handlers of the gateway: chat, staff console, subtitle viewers.

Handlers translate frames and enforce limits; decisions live in :mod:`channels.chat_service`,
:mod:`channels.handoff` and :mod:`channels.fanout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web

from channels.chat_service import ChatService
from channels.errors import BrokerError, FrameError
from channels.fanout import Fanout
from channels.messages import (
    ChatEvent,
    ChatHistory,
    ChatReply,
    ChatResponse,
    ChatSend,
    ChatSession,
    ChatStatus,
    ChatTyping,
    ChatWaiting,
    ErrorFrame,
    parse_chat_request,
    parse_client_frame,
)
from channels.metrics import GatewayMetrics
from channels.security import RateLimiter, client_ip, origin_allowed, tokens_equal
from channels.settings import GatewaySettings
from channels.staff_accounts import StaffAccounts
from channels.topics import chat_topic, new_session_id, valid_session_id
from common.auth import GuessThrottle, Verdict
from common.streams import valid_stream_id

__all__ = ["Guard", "chat_api", "chat_ws", "subtitles_ws"]

log = logging.getLogger(__name__)

_GERMAN = {
    "rate_limited": "Sie senden zu viele Nachrichten. Bitte warten Sie einen Moment.",
    "binary_not_supported": "Binäre Nachrichten werden nicht unterstützt. Bitte senden Sie JSON-Text.",
    "read_only": "Über diese Verbindung werden nur Untertitel gesendet.",
    "internal": "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es noch einmal.",
}


@dataclass(slots=True)
class Guard:
    """Shared limits of one app: rate limiters per session and per IP, plus the open sockets."""

    settings: GatewaySettings
    metrics: GatewayMetrics
    sessions: RateLimiter
    ips: RateLimiter
    staff_guesses: GuessThrottle = field(default_factory=GuessThrottle)
    staff_accounts: StaffAccounts | None = None
    staff_login_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sockets: dict[web.WebSocketResponse, web.Request] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: GatewaySettings, metrics: GatewayMetrics) -> Guard:
        return cls(
            settings=settings,
            metrics=metrics,
            sessions=RateLimiter(rate=settings.session_rate_per_s, burst=settings.session_burst),
            ips=RateLimiter(rate=settings.ip_rate_per_s, burst=settings.ip_burst),
            staff_accounts=StaffAccounts.from_file(settings.staff_accounts) if settings.staff_accounts else None,
        )

    def check_upgrade(self, request: web.Request) -> None:
        """Before a WebSocket upgrade: origin allow-list, and one token of the IP's bucket per connection
        (a connection flood from one address gets HTTP 429)."""
        self.check_origin(request)
        if not self.ips.allow(self.ip(request)):
            self.metrics.errors.labels("rate_limited").inc()
            raise web.HTTPTooManyRequests(text="too many connections, retry later")

    def check_origin(self, request: web.Request) -> None:
        if not origin_allowed(
            request.headers.get("Origin"),
            host=request.host,
            scheme=request.scheme,
            allowed=self.settings.allowed_origins,
        ):
            log.warning("gateway.origin.refused path=%s", request.path)
            raise web.HTTPForbidden(text="origin not allowed")

    def check_staff_token(self, request: web.Request, secret: str) -> None:
        """The staff token of ``request``, with failed guesses limited per address and overall (HTTP 429)."""
        ip, now = self.ip(request), time.monotonic()
        verdict = self.staff_guesses.check(ip, now=now)
        if verdict is not Verdict.ALLOWED:
            self.metrics.errors.labels("auth_throttled").inc()
            log.warning("gateway.staff.auth_throttled ip=%s limit=%s", ip, verdict.value)
            retry = max(1, round(self.staff_guesses.retry_after(ip, now=now)))
            raise web.HTTPTooManyRequests(
                text="too many wrong staff tokens, retry later", headers={"Retry-After": str(retry)}
            )
        if not tokens_equal(request.query.get("token"), secret):
            self.staff_guesses.failed(ip, now=now)
            self.metrics.errors.labels("unauthorized").inc()
            log.warning("gateway.staff.auth_failed ip=%s", ip)
            raise web.HTTPUnauthorized(text="wrong or missing staff token")

    def ip(self, request: web.Request) -> str:
        return client_ip(
            request,
            trust_forwarded=self.settings.trust_forwarded,
            trusted_proxies=self.settings.trusted_proxies,
        )

    def allow(self, *, ip: str, session: str | None) -> bool:
        now = time.monotonic()
        ip_ok = self.ips.allow(ip, now=now)
        session_ok = self.sessions.allow(session, now=now) if session else True
        return ip_ok and session_ok

    async def prepare(self, request: web.Request, endpoint: str) -> web.WebSocketResponse:
        # No permessage-deflate: frames are small, and compressing the same cue per viewer costs CPU.
        ws = web.WebSocketResponse(
            max_msg_size=self.settings.max_msg_bytes,
            heartbeat=30.0,
            compress=False,
            timeout=self.settings.ws_close_timeout_s,  # wait for the client's close reply no longer
        )
        await ws.prepare(request)
        self.sockets[ws] = request
        self.metrics.connections.labels(endpoint).inc()
        return ws

    def release(self, ws: web.WebSocketResponse, endpoint: str) -> None:
        self.sockets.pop(ws, None)
        self.metrics.connections.labels(endpoint).dec()

    async def close(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        """Close one WebSocket within ``ws_close_timeout_s``, cutting the connection if the client does not
        take the close frame in time."""
        await _close(ws, code, reason, self.sockets.get(ws), timeout_s=self.settings.ws_close_timeout_s)

    async def close_all(self, code: int, reason: str) -> None:
        """Close every open WebSocket at once, each within ``ws_close_timeout_s``: a client that does not
        read (its send buffer full) or does not answer the close is cut off, so shutdown never waits on it."""
        await asyncio.gather(
            *(
                _close(ws, code, reason, request, timeout_s=self.settings.ws_close_timeout_s)
                for ws, request in list(self.sockets.items())
            )
        )

    async def error(self, ws: web.WebSocketResponse, code: str, german: str | None = None) -> None:
        self.metrics.errors.labels(code).inc()
        if not ws.closed:
            frame = ErrorFrame(code=code, message=german or _GERMAN.get(code, _GERMAN["internal"]))
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(frame.model_dump_json())


async def _close(
    ws: web.WebSocketResponse,
    code: int,
    reason: str,
    request: web.Request | None = None,
    *,
    timeout_s: float = 2.0,
) -> None:
    """Close within ``timeout_s``; with ``request`` the TCP connection is cut afterwards: a client that
    stopped reading blocks aiohttp's close() in its drain, and will not answer the closing handshake
    either."""
    # Not wait_for: aiohttp's close() can hold on to cancellation while it waits for the client.
    closing = asyncio.ensure_future(ws.close(code=code, message=reason.encode()))
    await asyncio.wait({closing}, timeout=timeout_s)
    if request is not None and request.transport is not None:
        request.transport.abort()  # closed already (a no-op) or a client that does not take the close
    if not closing.done():
        await asyncio.wait({closing}, timeout=timeout_s)
    if closing.done() and not closing.cancelled():
        closing.exception()  # retrieved: a failed close of a dead socket is expected


class _Strikes:
    """Counts refused frames of one connection; too many means a flood and the socket is closed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def hit(self) -> bool:
        self.count += 1
        return self.count >= self.limit


# ---------------------------------------------------------------------- chat
async def chat_ws(request: web.Request, guard: Guard, service: ChatService) -> web.StreamResponse:
    guard.check_upgrade(request)
    requested = request.query.get("session")
    session = new_session_id()
    resumed = False
    history: list[ChatEvent] = []
    since = "0-0"  # a new session's topic is empty: everything on it is new
    if valid_session_id(requested):
        assert requested is not None
        try:
            history, last_id = await service.history_since(requested)
        except BrokerError as exc:
            log.error("gateway.chat.broker_failed error=%s", exc)
            raise web.HTTPServiceUnavailable(text="broker unavailable, retry later") from exc
        if history or service.handoff.routes_to_staff(requested):
            session, resumed, since = requested, True, last_id
    ws = await guard.prepare(request, "chat")
    ip = guard.ip(request)
    strikes = _Strikes(guard.settings.flood_strikes)
    try:
        # since= the last stored id: a reply published while we connect is not lost
        async with service.broker.subscribe(chat_topic(session), since=since) as events:
            await ws.send_str(ChatSession(session=session, resumed=resumed).model_dump_json())
            if history:
                await ws.send_str(ChatHistory(session=session, messages=tuple(history)).model_dump_json())
            if (conversation := service.handoff.get(session)) is not None:
                await ws.send_str(service.status_frame(conversation).model_dump_json())
            # whether a person can take over now, before the citizen asks
            await ws.send_str(service.availability().model_dump_json())
            if resumed:
                await service.citizen_connected(session, present=True)  # back after a reload

            async def relay() -> None:
                async for envelope in events:
                    if isinstance(envelope.message, ChatReply | ChatStatus | ChatWaiting | ChatTyping):
                        await ws.send_str(envelope.message.model_dump_json())

            relay_task = asyncio.create_task(relay())
            try:
                await _chat_reader(ws, guard, service, session=session, ip=ip, strikes=strikes)
            finally:
                relay_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await relay_task
                try:  # staff see that nobody is there any more (a reload says so again at once)
                    await service.citizen_connected(session, present=False)
                except BrokerError as exc:
                    log.warning("gateway.chat.presence_not_sent error=%s", exc)
    except BrokerError as exc:
        log.error("gateway.chat.broker_failed error=%s", exc)
        await guard.error(ws, "internal")
        await guard.close(ws, WSCloseCode.INTERNAL_ERROR, "broker unavailable")
    finally:
        guard.release(ws, "chat")
    return ws


async def _chat_reader(
    ws: web.WebSocketResponse, guard: Guard, service: ChatService, *, session: str, ip: str, strikes: _Strikes
) -> None:
    async for msg in ws:
        if msg.type is WSMsgType.BINARY:
            await guard.error(ws, "binary_not_supported")
            if strikes.hit():
                await guard.close(ws, WSCloseCode.POLICY_VIOLATION, "flood")
            continue
        if msg.type is not WSMsgType.TEXT:
            continue
        if not guard.allow(ip=ip, session=session):
            await guard.error(ws, "rate_limited")
            if strikes.hit():
                log.warning("gateway.chat.flood_closed")
                await guard.close(ws, WSCloseCode.POLICY_VIOLATION, "flood")
            continue
        try:
            frame = parse_client_frame(msg.data)
        except FrameError as exc:
            await guard.error(ws, exc.code, exc.german)
            if strikes.hit():
                await guard.close(ws, WSCloseCode.POLICY_VIOLATION, "flood")
            continue
        try:
            if isinstance(frame, ChatSend):
                await service.handle(session, text=frame.text, payload=frame.payload, route="ws", client=ip)
            elif frame.type == "chat.handoff":
                await service.request_handoff(session, client=ip)
            elif frame.type == "chat.handoff_cancel":
                await service.cancel_handoff(session)
            elif frame.type == "chat.callback":
                await service.callbacks.request(session, frame)
            else:  # chat.feedback
                guard.metrics.feedback.labels(frame.rating).inc()
                log.info("chat.feedback rating=%s", frame.rating)
        except BrokerError as exc:
            log.error("gateway.chat.publish_failed error=%s", exc)
            await guard.error(ws, "internal")


async def chat_api(request: web.Request, guard: Guard, service: ChatService) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin and not origin_allowed(
        origin, host=request.host, scheme=request.scheme, allowed=guard.settings.allowed_origins
    ):
        raise web.HTTPForbidden(text="origin not allowed")
    headers = _cors(origin)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error_response(413, "too_large", "Die Nachricht ist zu lang.", headers)
    try:
        chat_request = parse_chat_request(body)
    except FrameError as exc:
        guard.metrics.errors.labels(exc.code).inc()
        return _error_response(413 if exc.code == "too_large" else 400, exc.code, exc.german, headers)
    requested = chat_request.session
    # Only sessions the gateway knows are resumed: a client cannot pick its own id.
    known = requested is not None and valid_session_id(requested) and await service.known_session(requested)
    session = requested if known and requested is not None else new_session_id()
    if not guard.allow(ip=guard.ip(request), session=session):
        guard.metrics.errors.labels("rate_limited").inc()
        return _error_response(429, "rate_limited", _GERMAN["rate_limited"], headers)
    try:
        replies = await service.handle(
            session, text=chat_request.text, payload=chat_request.payload, route="http", client=guard.ip(request)
        )
    except BrokerError as exc:
        log.error("gateway.chat.publish_failed error=%s", exc)
        return _error_response(503, "internal", _GERMAN["internal"], headers)
    body_out = ChatResponse(session=session, replies=tuple(replies)).model_dump_json()
    return web.Response(text=body_out, content_type="application/json", headers=headers)


def _cors(origin: str | None) -> dict[str, str]:
    if not origin:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


async def chat_api_preflight(request: web.Request, guard: Guard) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if not origin or not origin_allowed(
        origin, host=request.host, scheme=request.scheme, allowed=guard.settings.allowed_origins
    ):
        raise web.HTTPForbidden(text="origin not allowed")
    headers = _cors(origin) | {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }
    return web.Response(status=204, headers=headers)


def _error_response(status: int, code: str, german: str, headers: dict[str, str]) -> web.Response:
    return web.Response(
        status=status,
        text=ErrorFrame(code=code, message=german).model_dump_json(),
        content_type="application/json",
        headers=headers,
    )


# ---------------------------------------------------------------------- subtitles
async def subtitles_ws(request: web.Request, guard: Guard, fanout: Fanout) -> web.StreamResponse:
    guard.check_upgrade(request)
    stream = request.match_info["stream"]
    if not valid_stream_id(stream):
        raise web.HTTPNotFound(text="unknown stream id")
    since = request.query.get("since")
    if since is not None and not re.fullmatch(r"\d{1,20}-\d{1,20}", since):
        raise web.HTTPBadRequest(text="since must be a message id like 1700000000000-0")
    ws = await guard.prepare(request, "subtitles")
    viewer = fanout.attach(stream)
    relay_task = asyncio.create_task(fanout.relay(viewer, ws.send_str, since=since))
    viewer.task = relay_task
    closer: list[asyncio.Task[None]] = []

    def relay_done(task: asyncio.Task[None]) -> None:
        if viewer.overflowed:
            log.warning("gateway.viewer.dropped stream=%s reason=queue_full", stream)
            closer.append(asyncio.create_task(guard.close(ws, WSCloseCode.TRY_AGAIN_LATER, "viewer too slow")))
            return
        if task.cancelled() or ws.closed:
            return  # the viewer left or the handler is ending: nothing to tell
        exc = task.exception()
        if exc is not None:
            log.warning(
                "gateway.viewer.relay_ended stream=%s reason=error error=%s: %s", stream, type(exc).__name__, exc
            )
            closer.append(asyncio.create_task(guard.close(ws, WSCloseCode.TRY_AGAIN_LATER, "relay failed")))
        else:
            log.info("gateway.viewer.relay_ended stream=%s reason=stream_closed", stream)
            closer.append(asyncio.create_task(guard.close(ws, WSCloseCode.GOING_AWAY, "relay ended")))

    relay_task.add_done_callback(relay_done)
    strikes = _Strikes(guard.settings.flood_strikes)
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                code = "read_only" if msg.type is WSMsgType.TEXT else "binary_not_supported"
                await guard.error(ws, code)
                if strikes.hit():
                    await guard.close(ws, WSCloseCode.POLICY_VIOLATION, "flood")
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await relay_task
        for task in closer:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await fanout.detach(viewer)
        guard.release(ws, "subtitles")
    return ws
