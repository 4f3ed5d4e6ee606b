"""Routes of the gateway over aiohttp's TestClient: health, pages, chat, bad input, limits, subtitles."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets.asyncio.client
from aiohttp import WSMsgType

from channels.broker import MemoryBroker
from channels.messages import SubtitleCue, SubtitlePartial, SubtitleStream
from tests.channels.helpers import gateway, next_frame, of_type, wait_until


async def test_health_ready_metrics_and_config() -> None:
    async with gateway(metrics_token="scrape-secret") as client:
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 200 and body["broker"] and not body["rasa"] and body["status"] == "degraded"
        metrics = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert "rathaus_gateway_connections" in await metrics.text()
        config = await (await client.get("/api/config")).json()
        assert config["city"] == {
            "name": "Musterstadt",
            "phone": "0800 123 456 0",
            "email": "buergerservice@musterstadt.example",
        }
        assert config["ws"]["chat"] == "/ws/chat"


async def test_pages_are_files_with_strict_csp(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "static").mkdir()
    (tmp_path / "pages" / "demo.html").write_text("<!doctype html><title>Musterstadt</title>", encoding="utf-8")
    (tmp_path / "static" / "widget.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "static" / "widget.css").write_text("body{}", encoding="utf-8")
    async with gateway(web_root=tmp_path, hls_url="https://video.example/live.m3u8") as client:
        page = await client.get("/")
        assert page.status == 200 and "Musterstadt" in await page.text()
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "media-src 'self' blob: https://video.example" in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        widget = await client.get("/widget.js")
        assert widget.status == 200 and widget.headers["Content-Type"].startswith("text/javascript")
        assert (await client.get("/static/widget.css")).headers["Content-Type"].startswith("text/css")
        assert (await client.get("/static/../pages/demo.html")).status == 404
        assert (await client.get("/static/%2e%2e/pages/demo.html")).status == 404
        assert (await client.get("/staff")).status == 404  # not written yet: plain 404
        assert "Content-Security-Policy" in (await client.get("/staff")).headers


async def test_chat_when_rasa_is_down_answers_politely_within_5_s() -> None:
    async with gateway() as client:
        ws = await client.ws_connect("/ws/chat")
        session = await next_frame(ws, of_type("chat.session"))
        assert len(session["session"]) >= 32 and session["resumed"] is False
        started = time.monotonic()
        await ws.send_json({"type": "chat.send", "v": 1, "text": "Wie beantrage ich einen Reisepass?"})
        reply = await next_frame(ws, of_type("chat.reply"))
        assert time.monotonic() - started < 5.0
        assert reply["kind"] == "unavailable" and reply["sender"] == "system"
        assert "0800 123 456 0" in reply["text"]
        await ws.close()


async def test_bad_input_gets_error_frames_and_the_connection_stays_usable() -> None:
    async with gateway(session_burst=50, ip_burst=50) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        cases = [
            ("{not json", "invalid_json"),
            ('{"type":"chat.explode","v":1}', "unknown_type"),
            ('{"type":"chat.send","v":1,"text":42}', "invalid_frame"),
            (json.dumps({"type": "chat.send", "text": "x" * 2001}), "too_large"),
        ]
        for text, code in cases:
            await ws.send_str(text)
            error = await next_frame(ws, of_type("error"))
            assert error["code"] == code and error["message"]
        await ws.send_bytes(b"\x00\x01")
        assert (await next_frame(ws, of_type("error")))["code"] == "binary_not_supported"
        await ws.send_json({"type": "chat.send", "text": ""})
        assert (await next_frame(ws, of_type("chat.reply")))["kind"] == "info"
        await ws.send_json({"type": "chat.feedback", "message_id": "abc", "rating": "up"})
        await ws.send_json({"type": "chat.send", "text": "Hallo"})
        assert (await next_frame(ws, of_type("chat.reply")))["kind"] == "unavailable"
        await ws.close()


async def test_oversized_frame_closes_with_1009() -> None:
    async with gateway(max_msg_bytes=4096) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        await ws.send_str(json.dumps({"type": "chat.send", "text": "x" * 10_000}))
        msg = await ws.receive(timeout=5)
        while msg.type is WSMsgType.TEXT:
            msg = await ws.receive(timeout=5)
        assert ws.close_code == 1009
        # the gateway is still up
        assert (await client.get("/healthz")).status == 200


async def test_rate_limit_then_flood_disconnect() -> None:
    async with gateway(session_burst=3, session_rate_per_s=0.01, flood_strikes=5) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        codes = []
        for _ in range(20):
            await ws.send_json({"type": "chat.feedback", "message_id": "m", "rating": "up"})
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type is not WSMsgType.TEXT:
                break
            codes.append(json.loads(msg.data).get("code"))
        assert codes.count("rate_limited") == 5
        assert ws.close_code == 1008
        assert (await client.get("/healthz")).status == 200


async def test_origin_allow_list_for_websockets() -> None:
    async with gateway(allowed_origins="https://www.musterstadt.example") as client:
        ok = await client.ws_connect("/ws/chat", origin="https://www.musterstadt.example")
        await next_frame(ok, of_type("chat.session"))
        await ok.close()
        for path in ("/ws/chat", "/ws/subtitles/rat", "/ws/staff?token=staff-secret-for-tests-0123456789"):
            with pytest.raises(Exception) as info:
                await client.ws_connect(path, origin="https://evil.example")
            assert "403" in str(info.value)


async def test_resume_session_replays_history() -> None:
    async with gateway() as client:
        ws = await client.ws_connect("/ws/chat")
        session = (await next_frame(ws, of_type("chat.session")))["session"]
        await ws.send_json({"type": "chat.send", "text": "Wann hat das Bürgerbüro offen?"})
        await next_frame(ws, of_type("chat.reply"))
        await ws.close()
        again = await client.ws_connect(f"/ws/chat?session={session}")
        first = await next_frame(again, of_type("chat.session"))
        assert first == {"type": "chat.session", "v": 1, "session": session, "resumed": True}
        history = await next_frame(again, of_type("chat.history"))
        assert [m["type"] for m in history["messages"]] == ["chat.user", "chat.reply"]
        assert history["messages"][0]["text"] == "Wann hat das Bürgerbüro offen?"
        await again.close()
        fresh = await client.ws_connect("/ws/chat?session=guessed-session-id-that-does-not-exist")
        assert (await next_frame(fresh, of_type("chat.session")))["resumed"] is False
        await fresh.close()


async def test_http_chat_api() -> None:
    async with gateway(
        allowed_origins="https://www.musterstadt.example", session_burst=2, session_rate_per_s=0.01
    ) as client:
        response = await client.post("/api/chat", json={"session": None, "text": "Hallo"})
        body = await response.json()
        assert response.status == 200 and body["replies"][0]["kind"] == "unavailable"
        session = body["session"]
        assert (await client.post("/api/chat", data="nope")).status == 400
        too_big = await client.post("/api/chat", json={"text": "x" * 3000})
        assert too_big.status == 413 and (await too_big.json())["code"] == "too_large"
        await client.post("/api/chat", json={"session": session, "text": "eins"})
        limited = await client.post("/api/chat", json={"session": session, "text": "zwei"})
        assert limited.status == 429 and (await limited.json())["code"] == "rate_limited"
        preflight = await client.options(
            "/api/chat",
            headers={"Origin": "https://www.musterstadt.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.musterstadt.example"
        evil = await client.post("/api/chat", json={"text": "x"}, headers={"Origin": "https://evil.example"})
        assert evil.status == 403


async def test_subtitles_history_then_live_and_transcripts() -> None:
    broker = MemoryBroker()
    async with gateway(broker=broker, subtitle_replay=2) as client:
        await broker.publish("subtitles:rat", SubtitleStream(stream="rat", state="started"))
        ids = [
            await broker.publish(
                "subtitles:rat",
                SubtitleCue(stream="rat", seq=i, start=i * 2.0, end=i * 2.0 + 1.5, lines=(f"Satz Nummer {i}.",)),
            )
            for i in range(3)
        ]
        ws = await client.ws_connect("/ws/subtitles/rat")
        first = await next_frame(ws, of_type("subtitle.cue"))
        assert (first["seq"], first["id"]) == (1, ids[1])
        assert (await next_frame(ws, of_type("subtitle.cue")))["seq"] == 2
        await broker.publish("subtitles:rat", SubtitlePartial(stream="rat", text="Der Ha"), durable=False)
        assert (await next_frame(ws))["type"] == "subtitle.partial"
        await broker.publish(
            "subtitles:rat",
            SubtitleCue(stream="rat", seq=3, start=6, end=7.5, lines=("Der Haushalt", "ist beschlossen.")),
        )
        assert (await next_frame(ws, of_type("subtitle.cue")))["lines"] == [
            "Der Haushalt",
            "ist beschlossen.",
        ]
        await ws.send_str("hello")
        assert (await next_frame(ws, of_type("error")))["code"] == "read_only"
        await ws.close()

        resumed = await client.ws_connect(f"/ws/subtitles/rat?since={ids[0]}")
        assert [(await next_frame(resumed, of_type("subtitle.cue")))["seq"] for _ in range(3)] == [1, 2, 3]
        await resumed.close()

        vtt = await client.get("/live/rat/transcript.vtt")
        text = await vtt.text()
        assert vtt.status == 200 and text.startswith("WEBVTT") and "Satz Nummer 0." in text
        assert "00:00:06.000 --> 00:00:07.500" in text
        assert "attachment" in vtt.headers["Content-Disposition"]
        txt = await (await client.get("/live/rat/transcript.txt")).text()
        assert txt.splitlines() == [
            "Satz Nummer 0.",
            "Satz Nummer 1.",
            "Satz Nummer 2.",
            "Der Haushalt ist beschlossen.",
        ]
        assert (await client.get("/live/bad%20id/transcript.txt")).status == 404
        assert (await client.get("/ws/subtitles/rat?since=garbage")).status == 400
    await broker.aclose()


async def test_viewer_that_never_reads_is_closed_and_others_get_everything() -> None:
    broker = MemoryBroker()
    async with gateway(broker=broker, viewer_queue=16, subtitle_replay=0) as client:
        good = await client.ws_connect("/ws/subtitles/rat")
        # A client that never reads: the websockets client stops reading from its socket once its
        # receive queue holds max_queue messages, so the socket buffers fill up (its public flow control).
        url = str(client.make_url("/ws/subtitles/rat")).replace("http://", "ws://")
        lazy = await websockets.asyncio.client.connect(url, max_queue=1, max_size=None, origin=None)
        app = client.app
        from channels.gateway import FANOUT

        await wait_until(lambda: app[FANOUT].viewer_count("rat") == 2)  # type: ignore[index]
        big = "x" * 60_000
        reader = asyncio.create_task(_seqs(good, 300))
        for i in range(300):
            await broker.publish("subtitles:rat", SubtitleCue(stream="rat", seq=i, start=i, end=i + 1, lines=(big,)))
            await asyncio.sleep(0.002)
        seqs = await asyncio.wait_for(reader, 30)
        assert seqs == list(range(300))
        # the lazy one was closed (1013) and forgotten; the good one is still served
        await wait_until(lambda: app[FANOUT].viewer_count("rat") == 1)  # type: ignore[index]
        assert not good.closed
        await good.close()
        await lazy.close()
    await broker.aclose()


async def _seqs(ws, n):  # type: ignore[no-untyped-def]
    return [(await next_frame(ws, of_type("subtitle.cue"), within=20))["seq"] for _ in range(n)]


async def test_shutdown_closes_sockets_with_1001() -> None:
    async with gateway() as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.availability"))  # the last frame a new session gets
        closing = asyncio.create_task(client.server.close())
        msg = await ws.receive(timeout=5)
        await closing
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert ws.close_code == 1001


async def test_http_session_ids_cannot_be_chosen_by_the_client() -> None:
    async with gateway() as client:
        chosen = "a-session-id-i-made-up-myself-123"
        body = await (await client.post("/api/chat", json={"session": chosen, "text": "Hallo"})).json()
        assert body["session"] != chosen and len(body["session"]) >= 32
        again = await (await client.post("/api/chat", json={"session": body["session"], "text": "Noch was"})).json()
        assert again["session"] == body["session"]


async def test_connection_flood_from_one_ip_gets_429() -> None:
    async with gateway(ip_burst=3, ip_rate_per_s=0.01) as client:
        sockets = [await client.ws_connect("/ws/subtitles/rat") for _ in range(3)]
        with pytest.raises(Exception) as info:
            await client.ws_connect("/ws/subtitles/rat")
        assert "429" in str(info.value)
        for ws in sockets:
            await ws.close()


async def test_public_config_is_readable_from_allowed_origins_only() -> None:
    async with gateway(allowed_origins="https://www.musterstadt.example") as client:
        allowed = await client.get("/api/config", headers={"Origin": "https://www.musterstadt.example"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.musterstadt.example"
        other = await client.get("/api/config", headers={"Origin": "https://evil.example"})
        assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers
