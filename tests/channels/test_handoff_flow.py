"""Human hand-off over real WebSockets on one gateway: citizen asks, staff takes, writes, releases."""

from __future__ import annotations

import asyncio

import pytest

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

        queue = await next_frame(staff, lambda f: f["type"] == "staff.queue" and f["conversations"])
        (conversation,) = queue["conversations"]
        assert conversation["session"] == session and conversation["status"] == "waiting"
        assert conversation["history"][0]["text"] == "Ich habe eine Frage zur Hundesteuer"

        await staff.send_json({"type": "staff.send", "session": session, "text": "zu früh"})
        assert (await next_frame(staff, of_type("error")))["code"] == "not_assigned"

        await staff.send_json({"type": "staff.take", "session": session})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_active"
        queue = await next_frame(
            staff,
            lambda f: f["type"] == "staff.queue" and f["conversations"] and f["conversations"][0]["status"] == "active",
        )
        assert queue["conversations"][0]["staff"] == "Frau Beispiel"

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
        await next_frame(staff, lambda f: f["type"] == "staff.queue" and f["conversations"] == [])

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
    async with gateway(handoff_timeout_s=0.5) as client:
        citizen = await client.ws_connect("/ws/chat")
        await next_frame(citizen, of_type("chat.session"))
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_waiting"
        timeout = await next_frame(citizen, of_type("chat.status"), within=5)
        assert timeout["status"] == "handoff_timeout"
        assert "0800 123 456 0" in timeout["text"] and "buergerservice@musterstadt.example" in timeout["text"]
        await citizen.close()


async def test_resumed_session_in_handoff_gets_its_status() -> None:
    async with gateway() as client:
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
