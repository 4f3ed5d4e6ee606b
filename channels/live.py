"""Routes of the live viewer that are not the WebSocket: ``/live`` leads to the city's default stream,
``/hls/`` serves a folder of HLS files (RATHAUS_HLS_DIR) for the demo and small set-ups, and
``/aufzeichnungen/`` lists recorded meetings with subtitles (RATHAUS_RECORDINGS_DIR, channels/recordings.py):
a page per recording with its video, its WebVTT as ``<track>``, the transcript and downloads.

Kept apart from :mod:`channels.gateway` so the viewer's pages grow here (recordings, stream files) while the
gateway keeps its app factory and the chat.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from channels.recordings import Recording, RecordingView, find_recording, scan
from channels.settings import GatewaySettings
from common.subtitles import read_subtitles, to_srt

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
    if settings.recordings_dir is not None:
        _add_recording_routes(router, settings.recordings_dir, pages=settings.web_root / "pages")


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


# ------------------------------------------------------------------------------------------ recordings
def _add_recording_routes(router: web.UrlDispatcher, root: Path, *, pages: Path) -> None:
    """The archive: list page, player page, the API both read, and each recording's files."""

    async def find(request: web.Request) -> Recording:
        recording = await asyncio.to_thread(find_recording, root, request.match_info["id"])
        if recording is None:
            raise web.HTTPNotFound(text="Diese Aufzeichnung gibt es nicht (mehr).")
        return recording

    def page(name: str):  # type: ignore[no-untyped-def]
        async def serve(request: web.Request) -> web.StreamResponse:
            if "id" in request.match_info:
                await find(request)
            headers = {"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"}
            return web.FileResponse(pages / name, headers=headers)

        return serve

    async def listing(request: web.Request) -> web.Response:
        recordings = await asyncio.to_thread(scan, root)
        body = "[" + ",".join(RecordingView.of(r).model_dump_json() for r in recordings) + "]"
        return web.Response(text=body, content_type="application/json", headers={"Cache-Control": "no-cache"})

    async def video(request: web.Request) -> web.StreamResponse:
        recording = await find(request)  # FileResponse answers Range requests: the player can seek
        return web.FileResponse(recording.video, headers={"Content-Type": recording.video_type,
                                                          "Cache-Control": "public, max-age=3600"})

    async def subtitles(request: web.Request) -> web.StreamResponse:
        recording = await find(request)
        if request.match_info["kind"] == "vtt":
            return web.FileResponse(recording.subtitles, headers={"Content-Type": "text/vtt; charset=utf-8",
                                                                  "Cache-Control": "no-cache"})
        cues = await asyncio.to_thread(read_subtitles, recording.subtitles)
        return web.Response(text=to_srt(cues), content_type="application/x-subrip", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{recording.id}.srt"',
                                     "Cache-Control": "no-cache"})

    async def to_list(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/aufzeichnungen/")

    router.add_get("/api/recordings", listing)
    router.add_get("/aufzeichnungen", to_list)
    router.add_get("/aufzeichnungen/", page("recordings.html"))
    router.add_get("/aufzeichnungen/{id}", page("recordings.html"))  # the same page shows one recording
    router.add_get("/aufzeichnungen/{id}/video", video)
    router.add_get("/aufzeichnungen/{id}/untertitel.{kind:vtt|srt}", subtitles)

