"""Callback requests: the pure book (fold rules) and the flow over real WebSockets on one gateway."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from channels.broker import Broker
from channels.callback_desk import CallbackDesk
from channels.callbacks import CallbackBook, CallbackConflict, Expired
from channels.chat import CityInfo
from channels.gateway import SERVICE
from channels.messages import CallbackEvent, ChatCallback, StaffCallbacks
from channels.topics import CALLBACK_TOPIC
from tests.channels.helpers import STAFF_TOKEN, gateway, next_frame, of_type


def test_book_folds_open_and_done_and_the_first_done_wins() -> None:
    book = CallbackBook(limit=3)
    first = book.request(id="a", name=" Erika ", contact="0170 1234567", question="Hund?", now=10, session="s1")
    assert (first.name, first.state) == ("Erika", "open")
    assert book.apply(first) is not None and book.apply(first) is None  # folded once
    done = book.done("a", staff="Frau Beispiel", now=20)
    assert book.apply(done) is not None
    assert book.apply(book.request(id="b", name="Max", contact="max@example.org", question="", now=30)) is not None
    late = done.model_copy(update={"staff": "Herr Muster", "ts": 21})
    assert book.apply(late) is None  # a second "done" that crossed the first changes nothing
    with pytest.raises(CallbackConflict) as again:
        book.done("a", staff="Herr Muster", now=40)
    assert again.value.code == "callback_done" and "Frau Beispiel" in again.value.german
    with pytest.raises(CallbackConflict):
        book.done("zzz", staff="x", now=40)
    listing = book.listing()
    assert [(c.id, c.state) for c in listing] == [("b", "open"), ("a", "done")]
    assert listing[1].done_by == "Frau Beispiel"
    for i in range(3):
        book.apply(book.request(id=f"n{i}", name="N", contact="123", question="", now=50 + i))
    assert len(book.listing()) == 3 and "a" not in {c.id for c in book.listing()}  # only the newest kept


async def test_nobody_online_citizen_leaves_a_callback_that_staff_see_and_mark_done() -> None:
    async with gateway() as client:
        citizen = await client.ws_connect("/ws/chat")
        session = (await next_frame(citizen, of_type("chat.session")))["session"]
        await citizen.send_json({"type": "chat.handoff"})
        assert (await next_frame(citizen, of_type("chat.status")))["status"] == "handoff_unavailable"
        await citizen.send_json(
            {"type": "chat.callback", "name": "Erika Muster", "contact": "0170 1234567", "question": "Hundesteuer"}
        )
        saved = await next_frame(citizen, of_type("chat.reply"))
        assert saved["sender"] == "system" and "Rückruf ist gespeichert" in saved["text"]
        assert "0170" not in saved["text"]  # the contact is not copied into the conversation
        await citizen.send_json({"type": "chat.callback", "name": "Erika Muster", "contact": "0170 1234567"})
        assert "schon gespeichert" in (await next_frame(citizen, of_type("chat.reply")))["text"]

        # staff who log in later see it (it is kept on the broker, not only sent to open consoles)
        staff = await client.ws_connect("/ws/staff?token=staff-secret-for-tests-0123456789&name=Frau%20Beispiel")
        await next_frame(staff, of_type("staff.queue"))
        (request,) = (await next_frame(staff, of_type("staff.callbacks")))["callbacks"]
        assert (request["name"], request["contact"], request["question"], request["state"]) == (
            "Erika Muster",
            "0170 1234567",
            "Hundesteuer",
            "open",
        )
        await staff.send_json({"type": "staff.callback_done", "id": request["id"]})
        (done,) = (await next_frame(staff, of_type("staff.callbacks")))["callbacks"]
        assert (done["state"], done["done_by"]) == ("done", "Frau Beispiel")
        await staff.send_json({"type": "staff.callback_done", "id": request["id"]})
        assert (await next_frame(staff, of_type("error")))["code"] == "callback_done"
        await citizen.send_json({"type": "chat.callback", "name": "", "contact": "x"})
        assert (await next_frame(citizen, of_type("error")))["code"] in {"invalid_frame", "frame_too_large"}
        assert session
        await citizen.close()
        await staff.close()


def test_book_expires_requests_past_retention_and_returns_their_stored_events() -> None:
    book = CallbackBook()
    book.apply(book.request(id="old", name="A", contact="0170 1", question="", now=100.0), ref="1-0")
    book.apply(CallbackEvent(id="old", state="done", staff="S", ts=150.0), ref="2-0")
    book.apply(book.request(id="new", name="B", contact="0170 2", question="", now=900.0), ref="3-0")
    book.apply(CallbackEvent(id="gone-before", state="done", staff="S", ts=950.0), ref="4-0")  # request unknown
    assert book.expire(now=1000.0, retention_s=950.0) == Expired(requests=0, refs=("4-0",))  # orphans only
    expired = book.expire(now=1000.0, retention_s=500.0)  # "old" was made 900 s ago, done or not
    assert expired == Expired(requests=1, refs=("1-0", "2-0"))
    assert [c.id for c in book.listing()] == ["new"]
    assert book.expire(now=1000.0, retention_s=500.0) == Expired()  # each ref is returned once


WEEK = 7 * 24 * 3600


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_expired_requests_leave_the_list_the_consoles_and_the_broker_storage(broker: Broker) -> None:
    clock = _Clock(1_000_000.0)
    lists: list[StaffCallbacks] = []
    told: list[str] = []

    async def tell(session: str, text: str) -> None:
        told.append(text)

    def new_desk(notify: Callable[[StaffCallbacks], None]) -> CallbackDesk:
        city = CityInfo(name="Musterstadt", phone="1")
        return CallbackDesk(
            broker=broker, clock=clock, city=city, history=100, retention_s=WEEK, notify=notify, tell=tell
        )

    desk = new_desk(lists.append)
    listener = asyncio.create_task(desk.run_listener())
    try:
        await desk.request("s1", ChatCallback(name="Erika Muster", contact="0170 1234567", question="Hund"))
        clock.now += 6 * 24 * 3600
        await desk.request("s2", ChatCallback(name="Max Muster", contact="max@example.org"))
        assert len(told) == 2 and [c.name for c in desk.listing().callbacks] == ["Erika Muster", "Max Muster"]

        clock.now += 24 * 3600 + 1  # the first is 7 days and 1 s old, the second 1 day
        assert await desk.expire() == 1
        assert [c.name for c in lists[-1].callbacks] == ["Max Muster"]  # the consoles got the new list
        stored = [e.message for e in await broker.history(CALLBACK_TOPIC, count=100)]
        assert [m.name for m in stored if isinstance(m, CallbackEvent)] == ["Max Muster"]  # deleted from storage

        # another instance (or a restart) rebuilds from storage: the expired request does not come back
        rebuilt: asyncio.Queue[StaffCallbacks] = asyncio.Queue()
        other = new_desk(rebuilt.put_nowait)
        second = asyncio.create_task(other.run_listener())
        first = await asyncio.wait_for(rebuilt.get(), 5)
        second.cancel()
        assert [c.name for c in first.callbacks] == ["Max Muster"]
    finally:
        listener.cancel()


async def test_console_loses_an_expired_request_without_reconnecting() -> None:
    async with gateway(callback_retention_s=3600) as client:
        citizen = await client.ws_connect("/ws/chat")
        await next_frame(citizen, of_type("chat.session"))
        await citizen.send_json({"type": "chat.callback", "name": "Erika Muster", "contact": "0170 1234567"})
        await next_frame(citizen, of_type("chat.reply"))
        staff = await client.ws_connect(f"/ws/staff?token={STAFF_TOKEN}&name=A")
        (request,) = (await next_frame(staff, of_type("staff.callbacks")))["callbacks"]
        assert request["name"] == "Erika Muster"

        desk = client.server.app[SERVICE].callbacks
        assert await desk.expire() == 0  # within the hour: kept
        desk.clock = lambda: time.time() + 3601  # an hour later
        assert await desk.expire() == 1
        assert (await next_frame(staff, of_type("staff.callbacks")))["callbacks"] == []
        await citizen.close()
        await staff.close()
