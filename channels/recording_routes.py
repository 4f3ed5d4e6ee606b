"""The staff API of the recordings editor (``channels/subtitle_edits.py`` decides; this shell translates).

Under the default city's prefix, for its logged-in staff only (``Authorization: Bearer <ticket>``,
:func:`channels.staff_routes.staff_http_name`); recordings belong to the default city
(``RATHAUS_RECORDINGS_DIR``), so another city's ticket gets HTTP 401.

- ``GET  /api/staff/recordings``: the recordings (id, title, date, whether edited).
- ``GET  /api/staff/recordings/{id}/untertitel``: published cues, original cues (once edited), the edits;
  the version as ``ETag``.
- ``PUT  /api/staff/recordings/{id}/untertitel``: ``{"changes": [{"number": 3, "text": "..."}]}`` (new text of
  cue 3, lines split at line breaks), with ``If-Match: "<version>"``.
- ``POST /api/staff/recordings/{id}/untertitel/datei``: a corrected WebVTT file as the body, ``If-Match``.
- ``POST /api/staff/recordings/{id}/untertitel/original``: publish the original again, ``If-Match``.

Answers: 200 with the new state; 422 with German ``problems`` (rules, a bad file: nothing changed); 409
when someone else saved first; 428 without ``If-Match``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from channels.messages import (
    RecordingEditRefused,
    RecordingList,
    RecordingSubtitleEdit,
    RecordingSubtitles,
    RecordingSummary,
    SubtitleCueView,
)
from channels.recordings import Recording, find_recording, scan
from channels.routes import Guard
from channels.staff_routes import staff_http_name
from channels.subtitle_edits import (
    ORIGINAL_FILE,
    EditRejected,
    SubtitleState,
    VersionConflict,
    apply_text,
    publish,
    read_state,
    restore_original,
    upload,
)
from common.subtitles import Cue, SubtitleFileError

__all__ = ["add_recording_editor"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # a corrected WebVTT of a long meeting: a few hundred kB
_NO_STORE = {"Cache-Control": "no-store"}
# a change: reads the request and returns the blocking write, run in a thread under the version check
Maker = Callable[[web.Request, Recording, str, str], Awaitable[Callable[[], str]]]


def _views(cues: tuple[Cue, ...]) -> tuple[SubtitleCueView, ...]:
    return tuple(SubtitleCueView(number=n, start=c.start, end=c.end, lines=c.lines) for n, c in enumerate(cues, 1))


def _state_json(recording: Recording, state: SubtitleState) -> web.Response:
    body = RecordingSubtitles(
        id=recording.id, title=recording.info.title, date=recording.info.date, version=state.version,
        cues=_views(state.cues), original=None if state.original is None else _views(state.original),
        edits=state.edits,
    )
    return web.Response(text=body.model_dump_json(), content_type="application/json",
                        headers=_NO_STORE | {"ETag": f'"{state.version}"'})


def _refused(status: int, body: RecordingEditRefused) -> web.Response:
    return web.Response(status=status, text=body.model_dump_json(), content_type="application/json",
                        headers=_NO_STORE)


def add_recording_editor(router: web.UrlDispatcher, root: Path, guard: Guard, *, prefixes: tuple[str, ...]) -> None:
    """The editor's routes under each of ``prefixes`` (``""`` and, with several cities, the default's)."""

    async def find(request: web.Request) -> Recording:
        recording = await asyncio.to_thread(find_recording, root, request.match_info["id"])
        if recording is None:
            raise web.HTTPNotFound(text="Diese Aufzeichnung gibt es nicht (mehr).")
        return recording

    async def listing(request: web.Request) -> web.Response:
        staff_http_name(request, guard)
        recordings = await asyncio.to_thread(scan, root)
        body = RecordingList(recordings=tuple(
            RecordingSummary(id=r.id, title=r.info.title, date=r.info.date, page=f"/aufzeichnungen/{r.id}",
                             edited=(r.subtitles.parent / ORIGINAL_FILE).is_file())
            for r in recordings
        ))
        return web.Response(text=body.model_dump_json(), content_type="application/json", headers=_NO_STORE)

    async def show(request: web.Request) -> web.Response:
        staff_http_name(request, guard)
        recording = await find(request)
        return _state_json(recording, await asyncio.to_thread(read_state, recording.subtitles.parent))

    def change(make: Maker) -> Callable[[web.Request], Awaitable[web.Response]]:
        """A change: staff, origin, ``If-Match``; then the change in a thread; 409/422 as German answers."""

        async def handle(request: web.Request) -> web.Response:
            guard.check_origin(request)
            editor = staff_http_name(request, guard)
            recording = await find(request)
            expected = request.headers.get("If-Match", "").strip().strip('"')
            if not expected:
                return _refused(428, RecordingEditRefused(
                    code="version_required",
                    message="Die Seite ist veraltet. Bitte laden Sie die Untertitel neu und speichern Sie dann."))
            try:
                run = await make(request, recording, expected, editor)
                await asyncio.to_thread(run)
            except EditRejected as exc:
                return _refused(422, RecordingEditRefused(code="rejected", message=" ".join(exc.problems),
                                                          problems=exc.problems))
            except VersionConflict as exc:
                log.info("channels.recordings.edit_conflict id=%s", recording.id)
                return _refused(409, RecordingEditRefused(
                    code="version_conflict", version=exc.current,
                    message="Jemand anderes hat diese Untertitel inzwischen gespeichert. Ihre Änderung wurde nicht "
                            "übernommen. Bitte laden Sie die neue Fassung und tragen Sie Ihre Änderung dort noch "
                            "einmal ein."))
            except SubtitleFileError as exc:
                log.error("channels.recordings.edit_failed id=%s error=%s", recording.id, exc)
                return _refused(500, RecordingEditRefused(
                    code="broken_files", message="Die Untertitel-Dateien dieser Aufzeichnung sind beschädigt. "
                                                 "Bitte wenden Sie sich an die Administration."))
            log.info("channels.recordings.edited id=%s path=%s", recording.id, request.path)
            return _state_json(recording, await asyncio.to_thread(read_state, recording.subtitles.parent))

        return handle

    async def body(request: web.Request) -> bytes:
        data = await request.content.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=len(data))
        return data

    async def text_edit(request: web.Request, recording: Recording, expected: str, editor: str) -> Callable[[], str]:
        try:
            edit = RecordingSubtitleEdit.model_validate_json(await body(request))
        except ValidationError as exc:
            raise EditRejected(["Die Änderung ist unvollständig. Bitte laden Sie die Seite neu."]) from exc
        folder = recording.subtitles.parent

        def run() -> str:
            cues = apply_text(read_state(folder).cues, {c.number: c.text for c in edit.changes})
            return publish(folder, cues, expected=expected, by=editor, action="text", now=_now())

        return run

    async def file_upload(request: web.Request, recording: Recording, expected: str, editor: str) -> Callable[[], str]:
        raw = await body(request)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EditRejected(["Die Datei ist nicht als UTF-8 gespeichert. Bitte als UTF-8 speichern und erneut "
                                "hochladen. Es wurde nichts geändert."]) from exc
        folder = recording.subtitles.parent
        return lambda: upload(folder, text, expected=expected, by=editor, now=_now())

    async def restore(request: web.Request, recording: Recording, expected: str, editor: str) -> Callable[[], str]:
        folder = recording.subtitles.parent
        return lambda: restore_original(folder, expected=expected, by=editor, now=_now())

    for prefix in prefixes:
        base = f"{prefix}/api/staff/recordings"
        router.add_get(base, listing)
        router.add_get(f"{base}/{{id}}/untertitel", show)
        router.add_put(f"{base}/{{id}}/untertitel", change(text_edit))
        router.add_post(f"{base}/{{id}}/untertitel/datei", change(file_upload))
        router.add_post(f"{base}/{{id}}/untertitel/original", change(restore))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
