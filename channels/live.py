"""Routes of the live viewer that are not the WebSocket: ``/live`` leads to the city's default stream.

Kept apart from :mod:`channels.gateway` so the viewer's pages grow here (recordings, stream files) while the
gateway keeps its app factory and the chat.
"""

from __future__ import annotations

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
