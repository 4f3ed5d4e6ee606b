"""Callback requests: the pure book (fold rules) and the flow over real WebSockets on one gateway."""

from __future__ import annotations

import pytest

from channels.callbacks import CallbackBook, CallbackConflict
from tests.channels.helpers import gateway, next_frame, of_type


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
