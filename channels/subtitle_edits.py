"""Editors correct a recording's subtitles; the original is kept, every edit is recorded.

A recording's folder (``channels/recordings.py``) publishes ``untertitel.vtt``. The first correction keeps
the file as it was in ``untertitel.original.vtt``, which is never written again: an editor can always see
it and restore it (a restore writes the original's cues as the published file, so it is a correction
too, with its own entry). ``bearbeitung.yml`` lists who changed what and when (the staff account's name,
UTC time, what kind of change, how many cues); nothing about citizens.

Two editors saving at once must not lose an edit silently: every change names the version it was made
on (:func:`version_of`: a hash of the published file, the ETag of the API), and a change on an older
version raises :class:`VersionConflict` (HTTP 409). Check and write happen under an exclusive ``flock`` on
the folder's ``.bearbeitung.lock``, so gateways that share the folder serialise too.

Edited text is checked against the subtitle rules (:class:`SubtitleRules`: at most 2 lines of at most 37
characters, no empty cue); every problem is reported in German with the cue's number, and nothing is
written. Blocking file I/O: the HTTP shell (``channels/recording_routes.py``) runs it in a thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from channels.messages import SubtitleEditEntry
from channels.recordings import SUBTITLE_FILE
from common.subtitles import Cue, SubtitleFileError, parse_webvtt, read_subtitles, write_subtitles

__all__ = [
    "EDITS_FILE",
    "ORIGINAL_FILE",
    "EditRejected",
    "SubtitleRules",
    "SubtitleState",
    "VersionConflict",
    "apply_text",
    "check_cues",
    "publish",
    "read_state",
    "restore_original",
    "upload",
    "version_of",
]

ORIGINAL_FILE = "untertitel.original.vtt"
EDITS_FILE = "bearbeitung.yml"
_LOCK_FILE = ".bearbeitung.lock"
Action = Literal["text", "upload", "restore"]  # SubtitleEditEntry.action


class EditRejected(ValueError):
    """A change that is not written; ``problems`` are German sentences for the editor."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = tuple(problems)


class VersionConflict(Exception):
    """The published subtitles changed since the editor loaded them (someone else saved)."""

    def __init__(self, current: str) -> None:
        super().__init__(f"the subtitles are at version {current}")
        self.current = current


@dataclass(frozen=True, slots=True)
class SubtitleRules:
    """What an edited cue may be (docs/live.md, "Editors correct a recording's subtitles")."""

    max_lines: int = 2
    max_line_chars: int = 37


@dataclass(frozen=True, slots=True)
class SubtitleState:
    """What the editor loads: the published cues, their version, the original's cues and the edits."""

    version: str
    cues: tuple[Cue, ...]
    original: tuple[Cue, ...] | None
    edits: tuple[SubtitleEditEntry, ...]


def version_of(folder: Path) -> str:
    """The published file's version: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256((folder / SUBTITLE_FILE).read_bytes()).hexdigest()[:16]


def check_cues(cues: Sequence[Cue], rules: SubtitleRules = SubtitleRules()) -> list[str]:
    """Every rule a cue breaks, in German, with the cue's number (1-based, in order)."""
    problems: list[str] = []
    for number, cue in enumerate(cues, 1):
        lines = list(cue.lines)
        if not "".join(lines).strip():
            problems.append(f"Untertitel {number} ist leer. Bitte Text eingeben oder den Untertitel so lassen.")
            continue
        if len(lines) > rules.max_lines:
            problems.append(f"Untertitel {number} hat {len(lines)} Zeilen; erlaubt sind höchstens {rules.max_lines}.")
        for row, line in enumerate(lines, 1):
            if len(line) > rules.max_line_chars:
                problems.append(f"Untertitel {number}, Zeile {row} hat {len(line)} Zeichen; erlaubt sind höchstens "
                                f"{rules.max_line_chars}. Bitte umbrechen oder kürzen.")
        if cue.end <= cue.start:
            problems.append(f"Untertitel {number} endet nicht nach seinem Anfang.")
    return problems


def apply_text(cues: Sequence[Cue], changes: dict[int, str]) -> list[Cue]:
    """The cues with new text for the cues numbered in ``changes`` (1-based; lines split at line breaks)."""
    unknown = sorted(n for n in changes if not 1 <= n <= len(cues))
    if unknown:
        raise EditRejected([f"Untertitel {unknown[0]} gibt es nicht (mehr). Bitte die Seite neu laden."])
    return [
        Cue(cue.index, cue.start, cue.end, tuple(line.strip() for line in changes[n].strip().splitlines()))
        if n in changes else cue
        for n, cue in enumerate(cues, 1)
    ]


def read_state(folder: Path) -> SubtitleState:
    original = folder / ORIGINAL_FILE
    return SubtitleState(
        version=version_of(folder),
        cues=tuple(read_subtitles(folder / SUBTITLE_FILE)),
        original=tuple(read_subtitles(original)) if original.is_file() else None,
        edits=tuple(_read_edits(folder)),
    )


def publish(folder: Path, cues: Sequence[Cue], *, expected: str, by: str, action: Action, now: dt.datetime,
            rules: SubtitleRules = SubtitleRules()) -> str:
    """Write ``cues`` as the published subtitles if they are still at version ``expected``; the new version.

    Raises :class:`EditRejected` (rules) or :class:`VersionConflict`; either way nothing is written."""
    problems = check_cues(cues, rules)
    if problems:
        raise EditRejected(problems)
    with _locked(folder):
        current = version_of(folder)
        if current != expected:
            raise VersionConflict(current)
        original = folder / ORIGINAL_FILE
        if not original.exists():  # the first correction keeps the file as it was, once
            _copy_atomic(folder / SUBTITLE_FILE, original)
        write_subtitles([Cue(n, c.start, c.end, c.lines) for n, c in enumerate(cues, 1)], folder / SUBTITLE_FILE)
        edits = [*_read_edits(folder), SubtitleEditEntry(by=by, at=now, action=action, cues=len(cues))]
        _write_atomic(folder / EDITS_FILE,
                      yaml.safe_dump([e.model_dump(mode="json") for e in edits], allow_unicode=True, sort_keys=False))
        return version_of(folder)


def upload(folder: Path, text: str, *, expected: str, by: str, now: dt.datetime) -> str:
    """Publish an uploaded WebVTT file (validated with webvtt-py: a bad file changes nothing)."""
    try:
        cues = parse_webvtt(text, where="hochgeladene Datei")
    except SubtitleFileError as exc:
        raise EditRejected(["Die Datei ist keine gültige WebVTT-Datei. Sie muss mit „WEBVTT“ beginnen und "
                            "Zeitangaben wie „00:00:01.000 --> 00:00:03.500“ haben. Es wurde nichts geändert."]
                           ) from exc
    if not cues:
        raise EditRejected(["Die Datei enthält keine Untertitel. Es wurde nichts geändert."])
    return publish(folder, cues, expected=expected, by=by, action="upload", now=now)


def restore_original(folder: Path, *, expected: str, by: str, now: dt.datetime) -> str:
    """Publish the kept original again (the original file stays as it is)."""
    original = folder / ORIGINAL_FILE
    if not original.is_file():
        raise EditRejected(["Diese Untertitel wurden noch nicht bearbeitet: Sie sind das Original."])
    # the original was made by the machine: it is restored as it was, without the rules of edited text
    return publish(folder, read_subtitles(original), expected=expected, by=by, action="restore", now=now,
                   rules=SubtitleRules(max_lines=1000, max_line_chars=10_000))


def _read_edits(folder: Path) -> list[SubtitleEditEntry]:
    path = folder / EDITS_FILE
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return [SubtitleEditEntry.model_validate(item) for item in data]
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise SubtitleFileError(f"{path}: not a valid list of edits ({exc}); fix or remove it") from exc


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / _LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copy_atomic(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
