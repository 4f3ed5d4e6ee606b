"""Human hand-off over real WebSockets on one gateway: citizen asks, staff takes, writes, releases."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from channels.handoff import TypingThrottle
from tests.channels.helpers import gateway, next_frame, of_type


async def test_staff_endpoint_needs_a_token() -> None:
    async with gateway(staff_token=None) as client:
        assert (await client.get("/ws/staff?token=x")).status == 503
    async with gateway() as client:
        for path in ("/ws/staff", "/ws/staff?token=wrong"):
            with pytest.raises(Exception) as info:
                await client.ws_connect(path)
            assert "401" in str(info.value)


async def test_handoff_take_send_release() -> None:
    async with gateway() as client:
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.send", "text": "Ich habe eine Frage zur Hundesteuer"})
        await next_frame(citizen, of_type("chat.reply"))

        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=Frau%20Beispiel")
        assert (await next_frame(staff, of_type("staff.queue")))["conversations"] == []

        await citizen.send_json({"type": "chat.handoff", "v": 1})
        waiting = await next_frame(citizen, of_type("chat.status"))
        assert waiting["status"] == "handoff_waiting" and waiting["text"]

        conversation = await next_frame(staff, of_type("staff.update", status="waiting"))
        assert conversation["session"] == session
        assert conversation["history"][0]["text"] == "Ich habe eine Frage zur Hundesteuer"

        await staff.send_json({"type": "staff.send", "session": session, "text": "zu früh"})
        assert (await next_frame(staff, of_type("error")))["code"] == "not_assigned"

        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_active"
        update = await next_frame(staff, of_type("staff.update", status="active"))
        assert update["staff"] == "Frau Beispiel" and update["history"] is None  # a delta, not the history

        await staff.send_json({"type": "staff.send", "session": session, "text": "Guten Tag, wie kann ich helfen?"})
        reply = await next_frame(citizen, of_type("chat.reply"))
        assert (reply["sender"], reply["kind"], reply["text"]) == (
            "staff",
            "staff",
            "Guten Tag, wie kann ich helfen?",
        )

        # While staff is active the citizen's messages go to staff, not to the assistant.
        await citizen.send_json({"type": "chat.send", "text": "Wie hoch ist sie für zwei Hunde?"})
        seen = await next_frame(staff, lambda f: f["type"] == "staff.message" and f["message"]["type"] == "chat.user")
        assert seen["session"] == session and seen["message"]["text"] == "Wie hoch ist sie für zwei Hunde?"
        with pytest.raises(TimeoutError):
            await next_frame(citizen, of_type("chat.reply"), within=0.5)

        await staff.send_json({"type": "staff.release", "session": session})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_ended"
        await next_frame(staff, of_type("staff.update", status="ended", session=session))

        # The assistant answers again (here: unavailable, Rasa is not running).
        await citizen.send_json({"type": "chat.send", "text": "Danke"})
        assert (await next_frame(citizen, of_type("chat.reply")))["kind"] == "unavailable"

        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(staff, of_type("error")))["code"] == "unknown_session"
        await staff.send_str("kaputt")
        assert (await next_frame(staff, of_type("error")))["code"] == "invalid_json"
        await citizen.close()
        await staff.close()


async def test_handoff_times_out_with_contact_details() -> None:
    """Staff is online but nobody takes the request in time."""
    async with gateway(handoff_timeout_s=0.5) as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        citizen = await client.ws_connect("/ws/chat")
        await next_frame(citizen, of_type("chat.session"))
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"
        timeout = await next_frame(citizen, of_type("chat.status"), within=5)
        assert timeout["status"] == "handoff_timeout"
        assert "0800 123 456 0" in timeout["text"] and "buergerservice@musterstadt.example" in timeout["text"]
        await citizen.close()
        await staff.close()


async def test_resumed_session_in_handoff_gets_its_status() -> None:
    async with gateway() as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff"})
        await next_frame(citizen, of_type("chat.status"))
        await citizen.close()
        await asyncio.sleep(0)
        again = await client.ws_connect(f"/ws/chat?session={session}")
        assert (await next_frame(again, of_type("chat.session")))["resumed"] is True
        assert (await next_frame(again, of_type("chat.status")))["status"] == "handoff_waiting"
        await again.close()
        await staff.close()


async def test_availability_is_known_before_asking_and_nobody_means_alternatives_at_once() -> None:
    async with gateway(handoff_timeout_s=120) as client:
        citizen = await client.ws_connect("/ws/chat")
        await next_frame(citizen, of_type("chat.session"))
        assert (await next_frame(citizen, of_type("chat.availability")))["staff_online"] is False
        await citizen.send_json({"type": "chat.handoff"})
        # no two silent minutes: the answer comes at once, with the city's other ways (content's own text)
        status = await next_frame(citizen, of_type("chat.status"), within=2)
        assert status["status"] == "handoff_unavailable"
        assert "0800 123 456 0" in status["text"] and "buergerservice@musterstadt.example" in status["text"]
        assert "Montag bis Freitag" in status["text"]  # service hours from municipality.yml
        await citizen.close()

        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        later = await client.ws_connect("/ws/chat")
        await next_frame(later, of_type("chat.session"))
        assert (await next_frame(later, of_type("chat.availability")))["staff_online"] is True
        await later.close()
        await staff.close()


async def test_waiting_citizen_sees_position_and_can_cancel() -> None:
    async with gateway(handoff_timeout_s=120) as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        first = await client.ws_connect("/ws/chat")
        second = await client.ws_connect("/ws/chat")
        for ws in (first, second):
            await next_frame(ws, of_type("chat.session"))
        await first.send_json({"type": "chat.handoff"})
        one = await next_frame(first, of_type("chat.status"))
        assert (one["status"], one["position"]) == ("handoff_waiting", 1)
        assert 100 < one["timeout_s"] <= 120 and "2 Minuten" in one["text"]
        await second.send_json({"type": "chat.handoff"})
        two = await next_frame(second, of_type("chat.status"))
        assert two["position"] == 2 and "Vor Ihnen warten 1 andere" in two["text"]

        # the first withdraws: told so, leaves the staff queue, and the second moves up
        await first.send_json({"type": "chat.handoff_cancel"})
        cancelled = await next_frame(first, of_type("chat.status"))
        assert cancelled["status"] == "handoff_cancelled" and "zurückgezogen" in cancelled["text"]
        await next_frame(staff, of_type("staff.update", status="ended"))
        moved = await next_frame(second, of_type("chat.status"))
        assert (moved["status"], moved["position"]) == ("handoff_waiting", 1)

        # once taken, a cancel no longer ends the conversation
        session = two["session"]
        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(second, of_type("chat.status")))["status"] == "handoff_active"
        await second.send_json({"type": "chat.handoff_cancel"})
        await second.send_json({"type": "chat.send", "text": "Sind Sie noch da?"})
        seen = await next_frame(staff, lambda f: f["type"] == "staff.message" and f["message"]["type"] == "chat.user")
        assert seen["message"]["text"] == "Sind Sie noch da?"
        for ws in (first, second, staff):
            await ws.close()


async def test_console_gets_deltas_not_the_whole_queue_again() -> None:
    async with gateway() as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        assert (await next_frame(staff, of_type("staff.queue")))["conversations"] == []
        citizens = [await client.ws_connect("/ws/chat") for _ in range(2)]
        sessions = [(await next_frame(c, of_type("chat.session")))["session"] for c in citizens]
        for citizen in citizens:
            await citizen.send_json({"type": "chat.send", "text": "x" * 1500})
            await next_frame(citizen, of_type("chat.reply"))
            await citizen.send_json({"type": "chat.handoff"})
            await next_frame(citizen, of_type("chat.status"))
        frames = []
        while len([f for f in frames if f["type"] == "staff.update"]) < 3:
            if len(frames) == 2:
                await staff.send_json({"type": "staff.take", "session": sessions[0]})
            frames.append(await next_frame(staff, lambda f: f["type"] not in {"staff.message", "staff.callbacks"}))
        assert [f["type"] for f in frames] == ["staff.update"] * 3  # never the whole queue again
        taken = frames[2]
        assert (taken["session"], taken["status"], taken["history"]) == (sessions[0], "active", None)
        for ws in [*citizens, staff]:
            await ws.close()


async def test_one_address_cannot_flood_the_staff_queue() -> None:
    async with gateway(handoff_per_client=2) as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        citizens = [await client.ws_connect("/ws/chat") for _ in range(4)]  # all from 127.0.0.1
        for citizen in citizens:
            await next_frame(citizen, of_type("chat.session"))
            await citizen.send_json({"type": "chat.handoff"})
        for citizen in citizens[:2]:
            assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"
        for citizen in citizens[2:]:
            refused = await next_frame(citizen, lambda f: f["type"] in ("chat.status", "chat.reply"))
            assert refused["type"] == "chat.reply" and "mehrere Gespräche" in refused["text"]
        updates = [await next_frame(staff, of_type("staff.update")) for _ in range(2)]
        with pytest.raises(TimeoutError):
            await next_frame(staff, of_type("staff.update"), within=0.5)
        # When one of them is taken, the address may queue another one.
        await staff.send_json({"type": "staff.take", "session": updates[0]["session"]})
        await next_frame(staff, of_type("staff.update", status="active"))
        await citizens[2].send_json({"type": "chat.handoff"})
        assert (await next_frame(citizens[2], of_type("chat.status")))["status"] == "handoff_waiting"
        for ws in [*citizens, staff]:
            await ws.close()


async def test_console_gets_the_countdown_and_sees_the_citizen_leave_and_return() -> None:
    """A waiting conversation carries the seconds left until its timeout; a closed citizen tab is shown to
    staff as "left" (and as back after the reload), and the citizen never sees that signal."""
    async with gateway(handoff_timeout_s=120) as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=A")
        await next_frame(staff, of_type("staff.queue"))
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff"})
        update = await next_frame(staff, of_type("staff.update", status="waiting"))
        assert 115 <= update["timeout_s"] <= 120 and update["citizen_present"] is True

        await citizen.close()
        left = await next_frame(staff, of_type("staff.update", session=session))
        assert left["status"] == "waiting" and left["citizen_present"] is False and left["history"] is None
        assert 0 < left["timeout_s"] <= 120
        # a console that connects now learns it from the whole queue
        later = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=B")
        (queued,) = (await next_frame(later, of_type("staff.queue")))["conversations"]
        assert queued["citizen_present"] is False and queued["timeout_s"] > 0

        back = await client.ws_connect(f"/ws/chat?session={session}")
        await next_frame(back, of_type("chat.session", resumed=True))
        returned = await next_frame(staff, of_type("staff.update", session=session))
        assert returned["citizen_present"] is True
        await staff.send_json({"type": "staff.take", "session": session})
        active = await next_frame(staff, of_type("staff.update", status="active"))
        assert active["timeout_s"] is None  # only a waiting request can time out
        seen = []
        with pytest.raises(TimeoutError):
            while True:
                seen.append((await next_frame(back, lambda f: True, within=0.5))["type"])
        assert "citizen.presence" not in seen
        for ws in (back, staff, later):
            await ws.close()


async def _frames_of(ws: object, kind: str, within: float) -> list[dict[str, object]]:
    """Every frame of ``kind`` the socket gets in the next ``within`` seconds."""
    seen: list[dict[str, object]] = []
    with contextlib.suppress(TimeoutError):
        while True:
            seen.append(await next_frame(ws, of_type(kind), within=within))  # type: ignore[arg-type]
    return seen


async def test_staff_typing_reaches_the_citizen_throttled_and_is_not_stored() -> None:
    async with gateway() as client:
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=Frau%20Beispiel")
        await next_frame(staff, of_type("staff.queue"))
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"

        await staff.send_json({"type": "staff.typing", "session": session})  # not taken yet: not theirs
        assert (await next_frame(staff, of_type("error")))["code"] == "not_assigned"

        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_active"
        for _ in range(5):  # a fast typist: one chat.typing, not five
            await staff.send_json({"type": "staff.typing", "session": session})
        typing = await _frames_of(citizen, "chat.typing", within=0.5)
        assert [(t["session"], t["name"]) for t in typing] == [(session, "Frau Beispiel")]

        await staff.send_json({"type": "staff.send", "session": session, "text": "Einen Moment bitte."})
        await next_frame(citizen, of_type("chat.reply"))
        await staff.send_json({"type": "staff.typing", "session": session})  # next message: shown again at once
        assert (await next_frame(citizen, of_type("chat.typing"), within=1))["name"] == "Frau Beispiel"
        await citizen.close()

        again = await client.ws_connect(f"/ws/chat?session={session}")
        history = (await next_frame(again, of_type("chat.history")))["messages"]
        assert [m["type"] for m in history].count("chat.typing") == 0  # live only
        assert any(m.get("text") == "Einen Moment bitte." for m in history)
        await again.close()
        await staff.close()


def test_typing_throttle_lets_one_through_per_interval_and_conversation() -> None:
    throttle = TypingThrottle(interval_s=2.0)
    assert throttle.allow("a", now=10.0)
    assert not throttle.allow("a", now=11.9)
    assert throttle.allow("b", now=11.9)  # every conversation on its own
    assert throttle.allow("a", now=12.0)
    throttle.forget("a")
    assert throttle.allow("a", now=12.1)  # after a sent message: at once
