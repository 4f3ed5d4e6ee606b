"""The gateway under attack (issue 12): spoofed X-Forwarded-For, token guessing, hostile JSON, intent
syntax in citizen text, a dead action server, and stream ids the ingest accepts."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import pytest
import yaml
from aiohttp import WSMsgType
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from channels.broker import MemoryBroker
from channels.messages import SubtitleCue, SubtitleStream
from channels.rasa_input import offered_payloads, rasa_text
from channels.security import forwarded_client
from channels.settings import GatewaySettings
from common.streams import valid_stream_id
from tests.channels.helpers import STAFF_TOKEN, gateway, next_frame, of_type, stand_in_rasa


# ---------------------------------------------------------------- defect 4: X-Forwarded-For
def test_forwarded_client_is_counted_from_the_right() -> None:
    assert forwarded_client(["203.0.113.7"], trusted_proxies=1) == "203.0.113.7"
    # the client wrote "1.2.3.4"; our proxy appended the address it really saw
    assert forwarded_client(["1.2.3.4, 203.0.113.7"], trusted_proxies=1) == "203.0.113.7"
    # two proxies of ours: CDN appended the client, the inner proxy appended the CDN
    assert forwarded_client(["1.2.3.4, 203.0.113.7, 198.51.100.1"], trusted_proxies=2) == "203.0.113.7"
    # several header lines count as one list, in order
    assert forwarded_client(["1.2.3.4", "203.0.113.7"], trusted_proxies=1) == "203.0.113.7"
    # fewer entries than proxies: the header did not pass through all of them, so it is not used
    assert forwarded_client(["203.0.113.7"], trusted_proxies=2) is None
    assert forwarded_client([], trusted_proxies=1) is None


async def test_spoofed_forwarded_for_does_not_escape_the_ip_limit() -> None:
    async with gateway(trust_forwarded=True, ip_burst=30, ip_rate_per_s=0.01, session_burst=100) as client:
        statuses = []
        for _ in range(40):
            spoofed = f"10.{secrets.randbelow(255)}.{secrets.randbelow(255)}.{secrets.randbelow(255)}"
            response = await client.post(
                "/api/chat", json={"text": "Hallo"}, headers={"X-Forwarded-For": f"{spoofed}, 203.0.113.7"}
            )
            statuses.append(response.status)
        assert statuses.count(200) == 30 and statuses.count(429) == 10


# ---------------------------------------------------------------- defect 5: token guessing
def test_short_staff_token_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError) as info:
        GatewaySettings(staff_token="1")  # type: ignore[arg-type]
    assert "RATHAUS_STAFF_TOKEN" in str(info.value) and "24" in str(info.value)


async def test_staff_token_guessing_is_throttled_per_address_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with gateway(trust_forwarded=True) as client:
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        wrong = [(await client.get(f"/ws/staff?token=guess{i}", headers=attacker)).status for i in range(5)]
        assert wrong == [401] * 5
        # the sixth attempt is refused before the token is compared, even the right one
        right = await client.get(f"/ws/staff?token={STAFF_TOKEN}", headers=attacker)
        assert right.status == 429 and int(right.headers["Retry-After"]) > 0
        # another address is not affected
        other = await client.get("/ws/staff?token=nope", headers={"X-Forwarded-For": "198.51.100.2"})
        assert other.status == 401
    messages = [r.getMessage() for r in caplog.records]
    assert sum("gateway.staff.auth_failed" in m for m in messages) == 6
    assert any("gateway.staff.auth_throttled" in m and "blocked_address" in m for m in messages)
    assert not any(STAFF_TOKEN in m for m in messages)


async def test_staff_token_guessing_from_many_addresses_hits_the_global_limit() -> None:
    async with gateway(trust_forwarded=True) as client:
        statuses = []
        for i in range(200):  # 50 addresses, 4 guesses each
            headers = {"X-Forwarded-For": f"198.51.100.{i % 50}"}
            statuses.append((await client.get(f"/ws/staff?token=guess-{i}", headers=headers)).status)
        assert statuses.count(401) == 30 and statuses.count(429) == 170


# ---------------------------------------------------------------- defect 10: hostile JSON
async def test_deeply_nested_json_gets_400_with_security_headers() -> None:
    async with gateway() as client:
        response = await client.post("/api/chat", data="[" * 5000, headers={"Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["code"] == "invalid_json"
        assert "Content-Security-Policy" in response.headers


async def test_deeply_nested_json_on_the_socket_is_an_error_frame_and_a_flood_strike() -> None:
    async with gateway(flood_strikes=3) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        await ws.send_str("[" * 5000)
        assert (await next_frame(ws, of_type("error")))["code"] == "invalid_json"
        await ws.send_str("{" * 5000)
        assert (await next_frame(ws, of_type("error")))["code"] == "invalid_json"
        await ws.send_str("[" * 5000)
        msg = await ws.receive(timeout=5)
        while msg.type is WSMsgType.TEXT:
            msg = await ws.receive(timeout=5)
        assert ws.close_code == 1008  # the third strike


async def test_text_limit_counts_characters_after_decoding() -> None:
    async with gateway(session_burst=10) as client:
        ws = await client.ws_connect("/ws/chat")
        await next_frame(ws, of_type("chat.session"))
        # 2,000 characters, each written as a \\u surrogate pair: 24 KB on the wire, a valid message
        frame = json.dumps({"type": "chat.send", "v": 1, "text": "😀" * 2000}, ensure_ascii=True)
        assert len(frame.encode()) > 24_000
        await ws.send_str(frame)
        assert (await next_frame(ws, of_type("chat.reply")))["kind"] == "unavailable"
        # one character more is too long, and the connection stays usable
        await ws.send_str(json.dumps({"type": "chat.send", "v": 1, "text": "😀" * 2001}, ensure_ascii=True))
        assert (await next_frame(ws, of_type("error")))["code"] == "too_large"
        await ws.send_json({"type": "chat.send", "v": 1, "text": "Hallo"})
        assert (await next_frame(ws, of_type("chat.reply")))["kind"] == "unavailable"
        await ws.close()


# ---------------------------------------------------------------- defect 3: intent syntax
def test_rasa_never_gets_intent_syntax_from_free_text() -> None:
    assert rasa_text("/human_handoff") == "human_handoff"
    assert rasa_text('  / /choose_topic{"topic":"reisepass"}') == 'choose_topic{"topic":"reisepass"}'
    assert rasa_text("\u2003/restart") == "restart"
    assert rasa_text("///") == ""
    assert rasa_text("Wo ist das Bürgerbüro? a/b") == "Wo ist das Bürgerbüro? a/b"


async def test_only_offered_payloads_reach_rasa_and_slashes_are_removed_from_text() -> None:
    received: list[str] = []
    button = {"title": "Reisepass", "payload": '/choose_topic{"topic":"reisepass"}'}
    offer = [{"text": "Meinten Sie?", "buttons": [button]}]
    server = TestServer(stand_in_rasa(reply=offer, received=received))
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        async with gateway(rasa_url=url, session_burst=10) as client:
            ws = await client.ws_connect("/ws/chat")
            await next_frame(ws, of_type("chat.session"))
            sends = [
                {"text": "/human_handoff"},  # typed intent syntax
                {"text": "Zum Menschen", "payload": "/human_handoff"},  # a payload nobody offered
                {"text": "Reisepass", "payload": '/choose_topic{"topic":"reisepass"}'},  # offered just now
                {"text": "x", "payload": '/choose_topic{"topic":"gibtsnicht"}'},
            ]
            for send in sends:
                await ws.send_json({"type": "chat.send", "v": 1, **send})
                await next_frame(ws, of_type("chat.reply"))
            await ws.close()
    finally:
        await server.close()
    assert received == ["human_handoff", "Zum Menschen", '/choose_topic{"topic":"reisepass"}', "x"]


def test_offered_payloads_come_from_bot_replies_only() -> None:
    from channels.messages import Button, ChatReply, ChatUser

    history = [
        ChatUser(id="1", session="s", text="/x", payload="/x"),
        ChatReply(id="2", session="s", buttons=(Button(title="Mensch", payload="/human_handoff"),)),
    ]
    assert offered_payloads(history) == frozenset({"/human_handoff"})


# ---------------------------------------------------------------- defect 6: readiness
async def test_readiness_reports_a_dead_action_server() -> None:
    server = TestServer(stand_in_rasa(actions=False))
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        async with gateway(rasa_url=url) as client:
            ready = await client.get("/readyz")
            body = await ready.json()
            assert ready.status == 200 and body["rasa"] is True and body["actions"] is False
            assert body["status"] == "degraded"
    finally:
        await server.close()
    silent = TestServer(stand_in_rasa(reply=[]))  # what Rasa answers while its action server is down
    await silent.start_server()
    try:
        async with gateway(rasa_url=str(silent.make_url("")).rstrip("/"), metrics_token="scrape-secret") as client:
            body = await (await client.post("/api/chat", json={"text": "Reisepass?"})).json()
            assert body["replies"][0]["kind"] == "unavailable"
            metrics = await (await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})).text()
            assert "rathaus_gateway_rasa_unavailable_total 1.0" in metrics
    finally:
        await silent.close()
    alive = TestServer(stand_in_rasa())
    await alive.start_server()
    try:
        async with gateway(rasa_url=str(alive.make_url("")).rstrip("/")) as client:
            body = await (await client.get("/readyz")).json()
            assert body["actions"] is True and body["status"] == "ok"
    finally:
        await alive.close()


# ---------------------------------------------------------------- defect 7: stream ids
@pytest.mark.parametrize("stream", ["rat", "rat.2026-09-15", "Rat_2026-09-15.teil2", "a" * 64])
def test_valid_stream_ids(stream: str) -> None:
    assert valid_stream_id(stream)


@pytest.mark.parametrize("stream", ["", ".", "..", ".rat", "-rat", "rat/1", "rat 1", "a" * 65, "rät"])
def test_invalid_stream_ids(stream: str) -> None:
    assert not valid_stream_id(stream)


async def test_a_dotted_stream_id_works_in_the_gateway() -> None:
    broker = MemoryBroker()
    stream = "rat.2026-09-15"
    await broker.publish(f"subtitles:{stream}", SubtitleStream(stream=stream, state="started"))
    await broker.publish(
        f"subtitles:{stream}", SubtitleCue(stream=stream, seq=1, start=0.0, end=2.0, lines=("Guten Abend",))
    )
    async with gateway(broker=broker) as client:
        assert (await client.get(f"/live/{stream}")).status == 200
        transcript = await client.get(f"/live/{stream}/transcript.txt")
        assert transcript.status == 200 and await transcript.text() == "Guten Abend\n"
        ws = await client.ws_connect(f"/ws/subtitles/{stream}")
        cue = await next_frame(ws, of_type("subtitle.cue"))
        assert cue["lines"] == ["Guten Abend"]
        await ws.close()
        assert (await client.get("/live/..rat/transcript.txt")).status == 404
    await broker.aclose()


@given(st.text())
def test_rasa_text_is_never_intent_syntax(text: str) -> None:
    neutral = rasa_text(text)
    assert not neutral.strip().startswith("/")
    assert neutral == "" or not neutral[0].isspace()


def test_compose_gateways_count_citizens_not_the_proxy() -> None:
    """docker/compose.yml: behind its proxy every citizen would share one rate-limit bucket unless the
    gateways take the client from X-Forwarded-For; and that is only safe when only the proxy reaches them."""
    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker" / "compose.yml").read_text())
    for name in ("gateway-a", "gateway-b"):
        service = compose["services"][name]
        env = service["environment"]
        assert str(env["RATHAUS_TRUST_FORWARDED"]).lower() == "true"
        assert env["RATHAUS_TRUSTED_PROXIES"]
        assert env["RATHAUS_RASA_TOKEN"] and env["RATHAUS_ACTION_URL"] == "http://actions:5055/webhook"
        assert all(str(port).startswith("127.0.0.1:") for port in service["ports"])
    assert "RATHAUS_RASA_TOKEN" in compose["services"]["rasa"]["environment"]
