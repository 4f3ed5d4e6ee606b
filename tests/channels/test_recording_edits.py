"""Editors correct a recording's subtitles (issue 11): only logged-in staff; the corrected cues are what the
recording publishes (WebVTT, SRT), the original is kept and can be restored; who edited and when is
recorded; rule breaks and bad files are refused in German and change nothing; two editors saving on the
same version: one wins, the other gets 409, no edit is lost silently."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from common.subtitles import Cue, parse_srt, parse_webvtt, read_subtitles, write_subtitles
from tests.channels.helpers import STAFF_TOKEN, gateway

CUES = [
    Cue(1, 0.5, 2.5, ("Guten Abend, ich eröffne", "die Sitzung des Bauausschusses.")),
    Cue(2, 2.5, 4.5, ("Tagesordnungspunkt eins ist", "der Lärmschutz an der")),
    Cue(3, 4.5, 6.0, ("Industriestrase.",)),
]
API = "/api/staff/recordings/bau-2026-10-01/untertitel"


def _auth(name: str = "Frau Beispiel") -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF_TOKEN}", "X-Staff-Name": name}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "aufzeichnungen" / "bau-2026-10-01"
    folder.mkdir(parents=True)
    (folder / "sitzung.yml").write_text("title: Bauausschuss\ndate: 2026-10-01\n", encoding="utf-8")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=5", "-t", "1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(folder / "video.mp4")],
                   check=True, timeout=60)
    write_subtitles(CUES, folder / "untertitel.vtt")
    return tmp_path / "aufzeichnungen"


async def _state(client: TestClient, name: str = "Frau Beispiel") -> dict[str, Any]:
    response = await client.get(API, headers=_auth(name))
    assert response.status == 200, await response.text()
    state: dict[str, Any] = await response.json()
    assert response.headers["ETag"] == f'"{state["version"]}"'
    return state


async def _put(client: TestClient, version: str, changes: list[dict[str, Any]], name: str = "Frau Beispiel"):  # type: ignore[no-untyped-def]
    return await client.put(API, json={"changes": changes}, headers=_auth(name) | {"If-Match": f'"{version}"'})


async def test_only_staff_can_read_or_change_subtitles(archive: Path) -> None:
    async with gateway(recordings_dir=archive) as client:
        assert (await client.get("/api/staff/recordings")).status == 401
        wrong = {"Authorization": "Bearer not-the-token-at-all-0123456789"}
        assert (await client.get(API, headers=wrong)).status == 401
        assert (await client.put(API, json={"changes": []}, headers=wrong | {"If-Match": '"x"'})).status == 401
        listing = await client.get("/api/staff/recordings", headers=_auth())
        body = await listing.json()
        assert body["type"] == "recording.list"
        assert [(r["id"], r["edited"]) for r in body["recordings"]] == [("bau-2026-10-01", False)]


async def test_a_corrected_cue_is_published_and_the_original_kept(archive: Path) -> None:
    folder = archive / "bau-2026-10-01"
    original_text = (folder / "untertitel.vtt").read_text(encoding="utf-8")
    async with gateway(recordings_dir=archive) as client:
        state = await _state(client)
        assert state["original"] is None and state["edits"] == []
        assert [c["lines"] for c in state["cues"]] == [list(c.lines) for c in CUES]
        response = await _put(client, state["version"], [{"number": 3, "text": "Industriestraße."}])
        assert response.status == 200, await response.text()
        after = await response.json()
        assert after["version"] != state["version"]
        assert after["cues"][2]["lines"] == ["Industriestraße."]
        # what viewers get: the recording's track and downloads
        vtt = parse_webvtt(await (await client.get("/aufzeichnungen/bau-2026-10-01/untertitel.vtt")).text())
        assert vtt[2].lines == ("Industriestraße.",) and vtt[0].lines == CUES[0].lines
        assert [(c.start, c.end) for c in vtt] == [(c.start, c.end) for c in CUES]  # times unchanged
        srt = parse_srt(await (await client.get("/aufzeichnungen/bau-2026-10-01/untertitel.srt")).text())
        assert srt[2].lines == ("Industriestraße.",)
        # the original is kept as it was, and shown to the editor; who edited and when is recorded
        assert (folder / "untertitel.original.vtt").read_text(encoding="utf-8") == original_text
        assert [c["lines"] for c in after["original"]][2] == ["Industriestrase."]
        (edit,) = after["edits"]
        assert edit["by"] == "Frau Beispiel" and edit["action"] == "text" and edit["at"].endswith("Z")
        assert yaml.safe_load((folder / "bearbeitung.yml").read_text(encoding="utf-8"))[0]["by"] == "Frau Beispiel"

        # a second edit does not touch the original; restoring publishes it again and keeps it
        second = await _put(client, after["version"], [{"number": 1, "text": "Guten Abend.\nIch eröffne die Sitzung."}])
        assert second.status == 200
        assert (folder / "untertitel.original.vtt").read_text(encoding="utf-8") == original_text
        restored = await client.post(API + "/original", headers=_auth("Herr Muster") |
                                     {"If-Match": f'"{(await second.json())["version"]}"'})
        assert restored.status == 200, await restored.text()
        assert [c.lines for c in read_subtitles(folder / "untertitel.vtt")] == [c.lines for c in CUES]
        assert [(e["by"], e["action"]) for e in (await restored.json())["edits"]] == [
            ("Frau Beispiel", "text"), ("Frau Beispiel", "text"), ("Herr Muster", "restore")]


@pytest.mark.parametrize(("text", "message"), [
    ("Tagesordnungspunkt eins ist der Lärmschutz an",
     "Untertitel 2, Zeile 1 hat 45 Zeichen; erlaubt sind höchstens 37"),
    ("eins\nzwei\ndrei", "Untertitel 2 hat 3 Zeilen; erlaubt sind höchstens 2"),
    ("   ", "Untertitel 2 ist leer"),
])
async def test_text_that_breaks_the_subtitle_rules_is_refused_and_nothing_changes(
    archive: Path, text: str, message: str
) -> None:
    folder = archive / "bau-2026-10-01"
    before = (folder / "untertitel.vtt").read_bytes()
    async with gateway(recordings_dir=archive) as client:
        state = await _state(client)
        response = await _put(client, state["version"], [{"number": 2, "text": text}])
        assert response.status == 422
        assert message in (await response.json())["message"]
    assert (folder / "untertitel.vtt").read_bytes() == before
    assert not (folder / "untertitel.original.vtt").exists()


async def test_two_editors_saving_the_same_version_one_gets_a_conflict(archive: Path) -> None:
    folder = archive / "bau-2026-10-01"
    async with gateway(recordings_dir=archive) as client:
        version = (await _state(client))["version"]
        first, second = await asyncio.gather(
            _put(client, version, [{"number": 3, "text": "Industriestraße."}], name="Frau A"),
            _put(client, version, [{"number": 1, "text": "Guten Abend."}], name="Herr B"),
        )
        statuses = sorted([first.status, second.status])
        assert statuses == [200, 409]
        loser = first if first.status == 409 else second
        body = await loser.json()
        assert body["code"] == "version_conflict"
        assert "Jemand anderes hat diese Untertitel inzwischen gespeichert" in body["message"]
        # the winner's edit is published, the loser's is not (and the loser was told)
        published = [c.lines for c in read_subtitles(folder / "untertitel.vtt")]
        winner_changed_3 = first.status == 200
        assert (published[2] == ("Industriestraße.",)) is winner_changed_3
        assert (published[0] == ("Guten Abend.",)) is not winner_changed_3
        # without a version there is no blind overwrite either
        blind = await client.put(API, json={"changes": [{"number": 1, "text": "x"}]}, headers=_auth())
        assert blind.status == 428


async def test_an_uploaded_vtt_is_validated_and_published(archive: Path) -> None:
    folder = archive / "bau-2026-10-01"
    before = (folder / "untertitel.vtt").read_bytes()
    async with gateway(recordings_dir=archive) as client:
        version = (await _state(client))["version"]
        headers = _auth() | {"If-Match": f'"{version}"', "Content-Type": "text/vtt"}
        bad = await client.post(API + "/datei", data=b"1\n00:00:01,000 --> 00:00:02,000\nSRT, not VTT\n",
                                headers=headers)
        assert bad.status == 422
        assert "keine gültige WebVTT-Datei" in (await bad.json())["message"]
        assert (folder / "untertitel.vtt").read_bytes() == before
        good = ("WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nGuten Abend.\n\n"
                "00:00:03.000 --> 00:00:06.000\nDie Sitzung ist eröffnet.\n")
        response = await client.post(API + "/datei", data=good.encode(), headers=headers)
        assert response.status == 200, await response.text()
        assert [c.lines for c in read_subtitles(folder / "untertitel.vtt")] == [("Guten Abend.",),
                                                                              ("Die Sitzung ist eröffnet.",)]
        assert (folder / "untertitel.original.vtt").read_bytes() == before
        assert (await response.json())["edits"][0]["action"] == "upload"
