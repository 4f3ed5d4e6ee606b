"""Two gateway instances on one real redis-server: cues, staff replies and a Redis restart."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient

from channels.broker import RedisBroker
from channels.gateway import SERVICE
from channels.messages import SubtitleCue
from tests.channels.helpers import gateway, next_frame, of_type, wait_until
from tests.fixtures.services import RedisServer

pytestmark = pytest.mark.slow


@asynccontextmanager
async def two_instances(
    redis_server: RedisServer,
) -> AsyncIterator[tuple[TestClient, TestClient, RedisBroker]]:
    prefix = f"t{secrets.token_hex(4)}:"
    async with AsyncExitStack() as stack:
        brokers = [RedisBroker(redis_server.url, prefix=prefix) for _ in range(3)]
        for b in brokers:
            stack.push_async_callback(b.aclose)
        a = await stack.enter_async_context(gateway(broker=brokers[0]))
        b = await stack.enter_async_context(gateway(broker=brokers[1]))
        yield a, b, brokers[2]  # the third broker plays the ASR service


def cue(seq: int) -> SubtitleCue:
    return SubtitleCue(stream="rat", seq=seq, start=seq * 2.0, end=seq * 2.0 + 1.5, lines=(f"Satz {seq}.",))


async def test_cue_published_through_redis_reaches_viewers_on_both_instances(
    redis_server: RedisServer,
) -> None:
    async with two_instances(redis_server) as (a, b, asr):
        await asr.publish("subtitles:rat", cue(0))
        viewer_a = await a.ws_connect("/ws/subtitles/rat")
        viewer_b = await b.ws_connect("/ws/subtitles/rat")
        assert (await next_frame(viewer_a, of_type("subtitle.cue")))["seq"] == 0  # history
        assert (await next_frame(viewer_b, of_type("subtitle.cue")))["seq"] == 0
        for i in range(1, 4):
            await asr.publish("subtitles:rat", cue(i))
        for viewer in (viewer_a, viewer_b):
            assert [(await next_frame(viewer, of_type("subtitle.cue")))["seq"] for _ in range(3)] == [1, 2, 3]
        txt = await (await b.get("/live/rat/transcript.txt")).text()
        assert txt.splitlines() == ["Satz 0.", "Satz 1.", "Satz 2.", "Satz 3."]
        await viewer_a.close()
        await viewer_b.close()


async def test_staff_on_instance_a_reaches_citizen_on_instance_b(redis_server: RedisServer) -> None:
    async with two_instances(redis_server) as (a, b, _):
        citizen = await b.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        # before staff logs in on A, B knows nobody is there; then it learns of A's console through Redis
        assert (await next_frame(citizen, of_type("chat.availability")))["staff_online"] is False
        staff = await a.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=Herr%20Muster")
        await next_frame(staff, of_type("staff.queue"))
        await wait_until(lambda: b.server.app[SERVICE].staff_online() == 1, within=5)
        await citizen.send_json({"type": "chat.send", "text": "Mein Antrag ist verloren gegangen"})
        await next_frame(citizen, of_type("chat.reply"))
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"
        update = await next_frame(staff, of_type("staff.update", status="waiting"))
        assert update["session"] == session
        assert update["history"][0]["text"] == "Mein Antrag ist verloren gegangen"
        await staff.send_json({"type": "staff.take", "session": session})
        # no waiting for the queue update: a take is folded before the gateway reads the next frame
        await staff.send_json({"type": "staff.send", "session": session, "text": "Ich schaue nach."})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_active"
        reply = await next_frame(citizen, of_type("chat.reply"))
        assert (reply["sender"], reply["text"]) == ("staff", "Ich schaue nach.")
        # "… schreibt" crosses instances too: typed on A's console, shown in B's widget
        await staff.send_json({"type": "staff.typing", "session": session})
        assert (await next_frame(citizen, of_type("chat.typing")))["name"] == "Herr Muster"
        await citizen.send_json({"type": "chat.send", "text": "Danke!"})
        seen = await next_frame(staff, lambda f: f["type"] == "staff.message" and f["message"]["type"] == "chat.user")
        assert seen["message"]["text"] == "Danke!"
        await citizen.close()
        await staff.close()


async def test_two_staff_members_race_for_one_conversation(redis_server: RedisServer) -> None:
    async with two_instances(redis_server) as (a, b, _):
        citizen = await a.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        staff_a = await a.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        staff_b = await b.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=B")
        for staff in (staff_a, staff_b):
            await next_frame(staff, of_type("staff.queue"))  # logged in: the gateway counts them as present
        await citizen.send_json({"type": "chat.handoff"})
        for staff in (staff_a, staff_b):
            await next_frame(staff, of_type("staff.update", status="waiting"))
        await asyncio.gather(
            staff_a.send_json({"type": "staff.take", "session": session}),
            staff_b.send_json({"type": "staff.take", "session": session}),
        )
        winner = (await next_frame(staff_a, of_type("staff.update", status="active")))["staff"]
        loser = staff_b if winner == "A" else staff_a
        assert (await next_frame(loser, of_type("error")))["code"] == "already_taken"
        for ws in (citizen, staff_a, staff_b):
            await ws.close()


async def test_redis_restart_mid_stream_keeps_viewers_served(redis_server: RedisServer) -> None:
    async with two_instances(redis_server) as (a, b, asr):
        viewer = await b.ws_connect("/ws/subtitles/rat")
        await asr.publish("subtitles:rat", cue(0))
        assert (await next_frame(viewer, of_type("subtitle.cue")))["seq"] == 0
        await asyncio.to_thread(redis_server.restart)
        for i in range(1, 6):
            await asr.publish("subtitles:rat", cue(i))
        seqs = [(await next_frame(viewer, of_type("subtitle.cue"), within=20))["seq"] for _ in range(5)]
        assert seqs == [1, 2, 3, 4, 5]
        ready = await (await a.get("/readyz")).json()
        assert ready["broker"] is True
        await viewer.close()


async def test_callback_and_a_closed_tab_reach_staff_on_the_other_instance(redis_server: RedisServer) -> None:
    """A callback left on B (nobody online) is in the list of a console that opens later on A; a citizen
    who closes the chat on B shows as gone in A's console."""
    async with two_instances(redis_server) as (a, b, _):
        citizen = await b.ws_connect("/ws/chat")
        await next_frame(citizen, of_type("chat.session"))
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_unavailable"
        await citizen.send_json({"type": "chat.callback", "name": "Erika Muster", "contact": "erika@example.org"})
        assert "gespeichert" in (await next_frame(citizen, of_type("chat.reply")))["text"]

        staff = await a.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=Herr%20Muster")
        await next_frame(staff, of_type("staff.queue"))
        (request,) = (await next_frame(staff, of_type("staff.callbacks")))["callbacks"]
        assert (request["name"], request["contact"], request["state"]) == ("Erika Muster", "erika@example.org", "open")

        await wait_until(lambda: b.server.app[SERVICE].staff_online() == 1, within=5)
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"
        waiting = await next_frame(staff, of_type("staff.update", status="waiting"))
        await citizen.close()
        gone = await next_frame(staff, of_type("staff.update", session=waiting["session"], citizen_present=False))
        assert gone["status"] == "waiting"
        await staff.close()
