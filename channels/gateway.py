"""The public gateway: aiohttp app factory, pages, health, metrics and transcript downloads.

``create_app(settings, *, broker=None)`` builds the whole app; background work (broker, hand-off listener
and timer, Rasa client) lives in ``cleanup_ctx`` and is cancelled and awaited on shutdown, when open
WebSockets are closed with 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from aiohttp import WSCloseCode, web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from channels.archiver import archiver_from_settings
from channels.broker import Broker, Envelope, broker_from_url
from channels.chat_service import ChatService
from channels.cities import CityBroker, CitySite, city_sites
from channels.city_page import logo_response, render_city_page
from channels.fanout import Fanout, topic_for
from channels.live import add_live_routes
from channels.messages import MAX_TEXT_CHARS, SCHEMA_VERSION, SubtitleCue, SubtitleStream
from channels.metrics import GatewayMetrics
from channels.rasa_client import RasaClient
from channels.recording_routes import add_recording_editor
from channels.routes import (
    Guard,
    chat_api,
    chat_api_preflight,
    chat_ws,
    subtitles_ws,
)
from channels.security import content_security_policy, origin_allowed, security_headers_middleware
from channels.settings import GatewaySettings
from channels.staff_accounts import StaffAccounts
from channels.staff_routes import staff_login, staff_ws
from common import redact
from common.metrics_access import metrics_access
from common.streams import valid_stream_id
from common.subtitles import Cue, to_srt, to_webvtt

__all__ = [
    "BROKER",
    "CITIES",
    "FANOUT",
    "SERVICE",
    "SETTINGS",
    "ServedCity",
    "create_app",
    "transcript_text",
    "transcript_vtt",
]

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", GatewaySettings)
BROKER = web.AppKey("broker", Broker)
SERVICE = web.AppKey("service", ChatService)
FANOUT = web.AppKey("fanout", Fanout)
GUARD = web.AppKey("guard", Guard)
METRICS = web.AppKey("metrics", GatewayMetrics)
CITIES = web.AppKey("cities", tuple)  # tuple[ServedCity, ...], the default city first

_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def create_app(
    settings: GatewaySettings, *, broker: Broker | None = None, environ: Mapping[str, str] | None = None
) -> web.Application:
    """The gateway app. Pass ``broker`` to share one (tests, demo); it is then not closed by the app.

    ``environ`` (default ``os.environ``) is read for ``RATHAUS_CITIES`` and the per-city variables
    (``channels.cities``): with several cities, each is served under ``/{city}/`` and the default city
    also at ``/``."""
    redact.install()
    settings = settings.with_city()
    owns_broker = broker is None
    broker = broker or broker_from_url(
        settings.broker_url,
        history_size=settings.broker_history,
        chat_retention_s=settings.chat_retention_s,
        pool_size=settings.broker_pool_size,
        pool_timeout_s=settings.broker_pool_timeout_s,
    )
    metrics = GatewayMetrics()
    rasa = RasaClient(
        settings.rasa_url,
        timeout_s=settings.rasa_timeout_s,
        token=settings.rasa_token.get_secret_value() if settings.rasa_token else None,
        action_url=settings.action_url,
    )
    guard = Guard.create(settings, metrics)
    sites = [_serve_city(site, broker, rasa, guard, metrics) for site in city_sites(settings, environ)]
    default = sites[0]
    archiver = archiver_from_settings(default.site.settings, broker)

    csp = content_security_policy(frame_ancestors=settings.frame_ancestors, hls_url=settings.hls_url)
    app = web.Application(middlewares=[security_headers_middleware(csp)], client_max_size=settings.max_msg_bytes)
    app[SETTINGS] = default.site.settings
    app[BROKER] = broker
    app[SERVICE] = default.service
    app[FANOUT] = default.fanout
    app[GUARD] = guard
    app[METRICS] = metrics
    app[CITIES] = tuple(sites)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(job(), name=f"{name}-{city.site.id}")
            for city in sites
            for name, job in (
                ("handoff-listener", city.service.run_handoff_listener),
                ("handoff-timer", city.service.run_handoff_timer),
                ("callback-listener", city.service.callbacks.run_listener),
                ("callback-expiry", city.service.callbacks.run_expiry),
                ("presence-announcer", city.service.run_presence_announcer),
                ("presence-listener", city.service.run_presence_listener),
            )
        ]
        if archiver is not None:  # recordings of the default city's livestreams (channels/archiver.py)
            tasks.append(asyncio.create_task(archiver.run(), name="archiver"))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for city in sites:
            await city.fanout.aclose()
            await city.service.aclose()
        await rasa.aclose()
        if owns_broker:
            await broker.aclose()

    async def on_shutdown(app: web.Application) -> None:
        started = asyncio.get_running_loop().time()
        count = len(guard.sockets)
        await guard.close_all(WSCloseCode.GOING_AWAY, "gateway shutting down")
        log.info(
            "gateway.shutdown.sockets_closed count=%d took=%.1fs", count, asyncio.get_running_loop().time() - started
        )

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(on_shutdown)

    web_root = settings.web_root
    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/readyz", readyz)
    r.add_get("/metrics", metrics_view)
    _city_routes(r, "", default, page=web_root / "pages" / "demo.html")
    if default.site.several:
        for city in sites:
            _city_routes(r, city.site.path, city, page=None)
    add_live_routes(r, default.site.settings)
    if default.site.settings.recordings_dir is not None:  # the recordings are the default city's
        prefixes = ("", default.site.path) if default.site.several else ("",)
        add_recording_editor(r, default.site.settings.recordings_dir, default.guard, prefixes=prefixes)
    r.add_get("/widget.js", partial(_file, path=web_root / "static" / "widget.js"))
    r.add_get("/static/{path:.+}", partial(_static, root=web_root / "static"))
    return app


@dataclass(frozen=True, slots=True)
class ServedCity:
    """What the gateway runs for one city: its settings, chat service, subtitle fan-out and limits."""

    site: CitySite
    service: ChatService
    fanout: Fanout
    guard: Guard


def _serve_city(site: CitySite, broker: Broker, rasa: RasaClient, guard: Guard, metrics: GatewayMetrics) -> ServedCity:
    settings = site.settings
    view = CityBroker(broker, site.topic_prefix) if site.topic_prefix else broker
    service = ChatService(settings, view, rasa, metrics=metrics, city_id=site.id if site.several else None)
    fanout = Fanout(view, queue_size=settings.viewer_queue, replay=settings.subtitle_replay, metrics=metrics)
    # Rate limits, staff-token guesses and the open sockets are the gateway's, shared by every city;
    # origins, staff token and personal staff accounts are the city's: RATHAUS_STAFF_ACCOUNTS is the default
    # city's, RATHAUS_CITY_<ID>_STAFF_ACCOUNTS another city's file, whose tickets only its own console takes,
    # so no account of one city can read another city's conversations (docs/cities.md).
    if not site.topic_prefix:
        accounts = guard.staff_accounts
    else:
        accounts = StaffAccounts.from_file(settings.staff_accounts) if settings.staff_accounts else None
    city_guard = dataclasses.replace(guard, settings=settings, staff_accounts=accounts)
    return ServedCity(site=site, service=service, fanout=fanout, guard=city_guard)


def _city_routes(r: web.UrlDispatcher, prefix: str, city: ServedCity, *, page: Path | None) -> None:
    """A city's routes under ``prefix`` (``""`` or ``/{city}``); ``page``: its start page (None: the
    generated city page, channels/city_page.py)."""
    web_root = city.site.settings.web_root
    guard, service = city.guard, city.service
    r.add_get(f"{prefix}/api/config", partial(config_view, city=city))
    r.add_get(f"{prefix}/ws/chat", partial(chat_ws, guard=guard, service=service))
    r.add_post(f"{prefix}/api/chat", partial(chat_api, guard=guard, service=service))
    r.add_route("OPTIONS", f"{prefix}/api/chat", partial(chat_api_preflight, guard=guard))
    r.add_get(f"{prefix}/ws/staff", partial(staff_ws, guard=guard, service=service))
    r.add_get(f"{prefix}/api/staff/login", partial(staff_login, guard=guard))
    r.add_post(f"{prefix}/api/staff/login", partial(staff_login, guard=guard))
    r.add_get(f"{prefix}/ws/subtitles/{{stream}}", partial(subtitles_ws, guard=guard, fanout=city.fanout))
    r.add_get(f"{prefix}/live/{{stream}}/transcript.vtt", partial(transcript_view, city=city))
    r.add_get(f"{prefix}/live/{{stream}}/transcript.srt", partial(transcript_view, city=city))
    r.add_get(f"{prefix}/live/{{stream}}/transcript.txt", partial(transcript_view, city=city))
    r.add_get(f"{prefix}/logo", partial(logo_view, city=city))
    if page is not None:
        r.add_get(f"{prefix}/", partial(_file, path=page))
    else:
        r.add_get(f"{prefix}/", partial(city_page_view, city=city))
    r.add_get(f"{prefix}/staff", partial(_file, path=web_root / "pages" / "staff.html"))
    r.add_get(f"{prefix}/live/{{stream}}", partial(_file, path=web_root / "pages" / "live.html"))


# ---------------------------------------------------------------------- files
async def _file(request: web.Request, *, path: Path) -> web.StreamResponse:
    if not await asyncio.to_thread(path.is_file):
        raise web.HTTPNotFound(text=f"{path.name} is not there yet")
    headers = {"Cache-Control": "no-cache"}
    if path.suffix in _MEDIA:
        headers["Content-Type"] = _MEDIA[path.suffix] + ("; charset=utf-8" if path.suffix != ".png" else "")
    return web.FileResponse(path, headers=headers)


async def _static(request: web.Request, *, root: Path) -> web.StreamResponse:
    relative = request.match_info["path"]
    try:
        target = await asyncio.to_thread((root / relative).resolve)
        target.relative_to(await asyncio.to_thread(root.resolve))
    except (ValueError, OSError) as exc:
        raise web.HTTPNotFound() from exc
    return await _file(request, path=target)


# ---------------------------------------------------------------------- health, config, metrics
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the broker answers. Rasa or its action server down only degrades the chat (citizens get a
    phone number), so that is 200 with ``degraded``: the chat cannot answer, subtitles still work."""
    app = request.app
    rasa = app[SERVICE].rasa
    broker_ok, rasa_ok, actions_ok = await asyncio.gather(app[BROKER].ping(), rasa.ping(), rasa.ping_actions())
    chat_ok = rasa_ok and actions_ok is not False
    status = "ok" if broker_ok and chat_ok else ("degraded" if broker_ok else "unavailable")
    return web.json_response(
        {
            "status": status,
            "broker": broker_ok,
            "rasa": rasa_ok,
            "actions": actions_ok,
            "rasa_breaker": app[SERVICE].breaker.state.value,
            "handoff_ready": app[SERVICE].handoff_ready.is_set(),
        },
        status=200 if broker_ok else 503,
    )


OTHER_STREAMS = "(other)"  # label of viewers of streams the broker has no message of


async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus text, only with ``Authorization: Bearer $RATHAUS_METRICS_TOKEN`` (off without a token)."""
    token = request.app[SETTINGS].metrics_token
    access = metrics_access(
        request.headers.get("Authorization"),
        token=token.get_secret_value() if token else None,
        setting="RATHAUS_METRICS_TOKEN",
    )
    if not access.allowed:
        return web.Response(status=access.status, text=access.reason)
    metrics = request.app[METRICS]
    # Viewers per stream are set at scrape time: only streams that exist get their own series; viewers of
    # made-up stream ids are summed under one label, and streams without viewers leave no series behind.
    counts: dict[str, int] = {}
    for city in request.app[CITIES]:
        for entry in city.fanout.streams():
            label = city.site.topic_prefix + entry.stream if entry.exists else OTHER_STREAMS
            counts[label] = counts.get(label, 0) + entry.viewers
    metrics.viewers.clear()
    for label, count in counts.items():
        metrics.viewers.labels(label).set(count)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def config_view(request: web.Request, *, city: ServedCity) -> web.Response:
    s = city.site.settings
    base = city.site.path if city.site.several and request.path.startswith(city.site.path + "/") else ""
    return web.json_response(
        {
            "v": SCHEMA_VERSION,
            "city": {
                "id": city.site.id,
                "name": s.city_name,
                "phone": s.city_phone,
                "email": s.city_email,
                "colour": s.city_colour,
                "logo": f"/{city.site.id}/logo" if s.city_logo and city.site.several else None,
            },
            "ws": {"chat": f"{base}/ws/chat", "subtitles": f"{base}/ws/subtitles/", "staff": f"{base}/ws/staff"},
            "api": {"chat": f"{base}/api/chat"},
            "live": {"hls_url": s.hls_url, "default_stream": s.default_stream, "hls_delay_s": s.hls_delay_s},
            "limits": {"max_text_chars": MAX_TEXT_CHARS},
            "handoff_timeout_s": s.handoff_timeout_s,
        },
        headers={"Cache-Control": "no-cache"} | _config_cors(request, s),
    )


def _config_cors(request: web.Request, settings: GatewaySettings) -> dict[str, str]:
    """The widget on a city page of another (allowed) origin reads the public config cross-origin."""
    origin = request.headers.get("Origin")
    if not origin or not origin_allowed(
        origin, host=request.host, scheme=request.scheme, allowed=settings.allowed_origins
    ):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


async def city_page_view(request: web.Request, *, city: ServedCity) -> web.Response:
    settings = city.site.settings
    template = await asyncio.to_thread((settings.web_root / "pages" / "city.html").read_text, encoding="utf-8")
    page = render_city_page(template, city=city.site.id, settings=settings)
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"})


async def logo_view(request: web.Request, *, city: ServedCity) -> web.StreamResponse:
    return await logo_response(city.site.settings)


# ---------------------------------------------------------------------- transcripts
def _session_cues(envelopes: list[Envelope]) -> list[SubtitleCue]:
    """Cues of the latest session of a stream (after its last ``started`` event), in broker order."""
    cues: list[SubtitleCue] = []
    for envelope in envelopes:
        message = envelope.message
        if isinstance(message, SubtitleStream) and message.state == "started":
            cues = []
        elif isinstance(message, SubtitleCue):
            cues.append(message)
    return cues


def _as_cues(cues: list[SubtitleCue]) -> list[Cue]:
    return [Cue(index=c.seq, start=c.start, end=c.end, lines=tuple(c.lines)) for c in cues]


def transcript_vtt(cues: list[SubtitleCue]) -> str:
    """WebVTT through common.subtitles (the project's one writer of subtitle files)."""
    return to_webvtt(_as_cues(cues))


def transcript_text(cues: list[SubtitleCue]) -> str:
    """Plain text, one cue per line, for people who prefer reading."""
    return "".join(" ".join(c.lines) + "\n" for c in cues)


async def transcript_view(request: web.Request, *, city: ServedCity) -> web.Response:
    stream = request.match_info["stream"]
    if not valid_stream_id(stream):
        raise web.HTTPNotFound(text="unknown stream id")
    settings = city.site.settings
    envelopes = await city.service.broker.history(topic_for(stream), count=max(settings.broker_history, 1))
    cues = _session_cues(envelopes)
    kind = request.path.rsplit(".", 1)[1]
    body = {"vtt": transcript_vtt, "srt": lambda c: to_srt(_as_cues(c)), "txt": transcript_text}[kind](cues)
    filename = f"{stream}-transkript.{kind}"
    return web.Response(
        text=body,
        content_type={"vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain"}[kind],
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"},
    )
