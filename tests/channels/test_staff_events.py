"""Staff consoles' listeners receive typed events (StaffUpdate, StaffMessage, StaffResync), not strings."""

from __future__ import annotations

import asyncio

from channels.chat_service import StaffEvent
from channels.gateway import SERVICE
from channels.messages import ChatUser, StaffMessage, StaffUpdate
from tests.channels.helpers import gateway, next_frame, of_type


async def test_a_listener_gets_typed_updates_and_messages() -> None:
    async with gateway() as client:
        service = client.app[SERVICE]
        await asyncio.wait_for(service.handoff_ready.wait(), 10)
        events: list[StaffEvent] = []
        service.add_staff_listener(events.append)
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.send", "text": "Ich habe eine Frage zur Hundesteuer"})
        await next_frame(citizen, of_type("chat.reply"))
        await citizen.send_json({"type": "chat.handoff", "v": 1})
        await next_frame(citizen, of_type("chat.status"))
        await citizen.send_json({"type": "chat.send", "text": "Hallo?"})
        for _ in range(100):
            if any(isinstance(e, StaffMessage) and isinstance(e.message, ChatUser) for e in events):
                break
            await asyncio.sleep(0.05)
        service.remove_staff_listener(events.append)
        updates = [e for e in events if isinstance(e, StaffUpdate)]
        assert updates and updates[0].session == session and updates[0].status == "waiting"
        assert updates[0].history is not None  # new to the queue: it brings the conversation so far
        said = [e.message.text for e in events if isinstance(e, StaffMessage) and isinstance(e.message, ChatUser)]
        assert "Hallo?" in said
        await citizen.close()
