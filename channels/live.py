"""Routes of the live viewer that are not the WebSocket: ``/live`` leads to the city's default stream, and
``/hls/`` serves a folder of HLS files (RATHAUS_HLS_DIR) for the demo and small set-ups.

Kept apart from :mod:`channels.gateway` so the viewer's pages grow here (recordings, stream files) while the
gateway keeps its app factory and the chat.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from channels.settings import GatewaySettings

__all__ = ["add_live_routes"]


def add_live_routes(router: web.UrlDispatcher, settings: GatewaySettings) -> None:
    """``/live`` and ``/live/`` redirect to ``/live/{default_stream}``: the site links there, so a link
    never names a stream that does not exist (RATHAUS_DEFAULT_STREAM says which one is live)."""
    target = f"/live/{settings.default_stream}"

    async def default_stream(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target, headers={"Cache-Control": "no-cache"})

    router.add_get("/live", default_stream)
    router.add_get("/live/", default_stream)
    if settings.hls_dir is not None:
        router.add_get("/hls/{path:.+}", _hls_file(settings.hls_dir))


_HLS_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt; charset=utf-8",
}


def _hls_file(root: Path):  # type: ignore[no-untyped-def]
    """Files of ``root`` with HLS media types; playlists never cached (a live playlist changes every
    segment), segments cached (they never change once written)."""

    async def serve(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        try:
            base = await asyncio.to_thread(root.resolve)
            target = await asyncio.to_thread((root / relative).resolve)
            target.relative_to(base)
        except (ValueError, OSError) as exc:
            raise web.HTTPNotFound() from exc
        media = _HLS_TYPES.get(target.suffix)
        if media is None or not await asyncio.to_thread(target.is_file):
            raise web.HTTPNotFound()
        cache = "no-cache" if target.suffix == ".m3u8" else "public, max-age=3600"
        return web.FileResponse(target, headers={"Content-Type": media, "Cache-Control": cache})

    return serve
