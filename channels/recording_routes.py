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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels.recordings import Recording, scan
from channels.routes import Guard
from channels.staff_routes import staff_http_name
from channels.subtitle_edits import (
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


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1)
    text: str = Field(max_length=500)


class _TextEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int = 1
    changes: tuple[_Change, ...] = Field(min_length=1, max_length=10_000)


def _cue(cue: Cue, number: int) -> dict[str, object]:
    return {"number": number, "start": cue.start, "end": cue.end, "lines": list(cue.lines)}


def _state_json(recording: Recording, state: SubtitleState) -> web.Response:
    body = {
        "v": 1,
        "id": recording.id,
        "title": recording.info.title,
        "date": recording.info.date.isoformat(),
        "version": state.version,
        "cues": [_cue(c, n) for n, c in enumerate(state.cues, 1)],
        "original": None if state.original is None else [_cue(c, n) for n, c in enumerate(state.original, 1)],
        "edits": [e.model_dump(mode="json") for e in state.edits],
    }
    return web.json_response(body, headers=_NO_STORE | {"ETag": f'"{state.version}"'})


def _problem(status: int, code: str, message: str, **extra: object) -> web.Response:
    return web.json_response({"code": code, "message": message, **extra}, status=status, headers=_NO_STORE)


def add_recording_editor(router: web.UrlDispatcher, root: Path, guard: Guard, *, prefixes: tuple[str, ...]) -> None:
    """The editor's routes under each of ``prefixes`` (``""`` and, with several cities, the default's)."""

    async def find(request: web.Request) -> Recording:
        wanted = request.match_info["id"]
        for recording in await asyncio.to_thread(scan, root):
            if recording.id == wanted:
                return recording
        raise web.HTTPNotFound(text="Diese Aufzeichnung gibt es nicht (mehr).")

    async def listing(request: web.Request) -> web.Response:
        staff_http_name(request, guard)
        recordings = await asyncio.to_thread(scan, root)
        return web.json_response([
            {"id": r.id, "title": r.info.title, "date": r.info.date.isoformat(),
             "edited": (r.subtitles.parent / "untertitel.original.vtt").is_file(),
             "page": f"/aufzeichnungen/{r.id}"}
            for r in recordings
        ], headers=_NO_STORE)

    async def show(request: web.Request) -> web.Response:
        staff_http_name(request, guard)
        recording = await find(request)
        return _state_json(recording, await asyncio.to_thread(read_state, recording.subtitles.parent))

    def change(make: Callable[[web.Request, Recording, str, str], Awaitable[Callable[[], str]]]):  # type: ignore[no-untyped-def]
        """A change: staff, origin, ``If-Match``; then the change in a thread; 409/422 as German answers."""

        async def handle(request: web.Request) -> web.Response:
            guard.check_origin(request)
            editor = staff_http_name(request, guard)
            recording = await find(request)
            expected = request.headers.get("If-Match", "").strip().strip('"')
            if not expected:
                return _problem(428, "version_required",
                                "Die Seite ist veraltet. Bitte laden Sie die Untertitel neu und speichern Sie dann.")
            try:
                run = await make(request, recording, expected, editor)
                await asyncio.to_thread(run)
            except EditRejected as exc:
                return _problem(422, "rejected", " ".join(exc.problems), problems=list(exc.problems))
            except VersionConflict as exc:
                log.info("channels.recordings.edit_conflict id=%s", recording.id)
                return _problem(409, "version_conflict",
                                "Jemand anderes hat diese Untertitel inzwischen gespeichert. Ihre Änderung wurde "
                                "nicht übernommen. Bitte laden Sie die neue Fassung und tragen Sie Ihre Änderung "
                                "dort noch einmal ein.", version=exc.current)
            except SubtitleFileError as exc:
                log.error("channels.recordings.edit_failed id=%s error=%s", recording.id, exc)
                return _problem(500, "broken_files", "Die Untertitel-Dateien dieser Aufzeichnung sind beschädigt. "
                                "Bitte wenden Sie sich an die Administration.")
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
            edit = _TextEdit.model_validate_json(await body(request))
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
