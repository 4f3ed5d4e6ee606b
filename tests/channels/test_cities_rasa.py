"""Two cities, one gateway and one real Rasa (the session's trained model, docs/cities.md): a question
about Beispielhausen's ferry is answered from Beispielhausen's content only, and each city's hand-off
reply names its own phone number."""

from __future__ import annotations

from typing import Any

import pytest

import content
from bot.training import bot_dir
from tests.channels.helpers import gateway, next_frame, of_type
from tests.channels.test_cities import BEISPIELHAUSEN, MUSTERSTADT

pytestmark = pytest.mark.slow

FERRY = "Wann fährt die Fähre über den Rhein?"


@pytest.fixture(scope="module")
def city_indexes() -> None:
    """Each city's content index next to the model's default one, as `rathaus content build` writes it
    with RATHAUS_CITIES (the model itself is the session's, trained on Musterstadt)."""
    for city, root in (("musterstadt", MUSTERSTADT), ("beispielhausen", BEISPIELHAUSEN)):
        content.build(root, content.city_index_dir(bot_dir() / content.GENERATED_DIR, city), index_only=True)


async def _ask(client: Any, city: str, text: str) -> dict[str, Any]:
    ws = await client.ws_connect(f"/{city}/ws/chat")
    await next_frame(ws, of_type("chat.session"))
    await ws.send_json({"type": "chat.send", "text": text})
    reply: dict[str, Any] = await next_frame(
        ws, lambda f: f["type"] == "chat.reply" and f["kind"] not in ("disclosure",), within=60
    )
    await ws.close()
    return reply


async def test_ferry_is_answered_in_beispielhausen_only(
    rasa_stack: Any, city_indexes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RATHAUS_CONTENT", raising=False)
    monkeypatch.setenv("RATHAUS_CITIES", f"{MUSTERSTADT},{BEISPIELHAUSEN}")
    async with gateway(rasa_url=rasa_stack.rasa_url, rasa_timeout_s=30.0) as client:
        beispiel = await _ask(client, "beispielhausen", FERRY)
        assert beispiel["kind"] == "answer" and beispiel["topic"] == "faehre", beispiel
        assert "beispielhausen.example" in beispiel["sources"][0]["url"]
        assert "Musterstadt" not in beispiel["text"]

        muster = await _ask(client, "musterstadt", FERRY)
        assert muster.get("topic") != "faehre" and "Fähre" not in muster["text"], muster

        # Same topic id in both cities, each answered from its own content.
        passport = "Wie beantrage ich einen Personalausweis?"
        b_pass, m_pass = await _ask(client, "beispielhausen", passport), await _ask(client, "musterstadt", passport)
        assert b_pass["topic"] == m_pass["topic"] == "personalausweis"
        assert "beispielhausen.example" in b_pass["sources"][0]["url"]
        assert "musterstadt.example" in m_pass["sources"][0]["url"]

        # The hand-off names the city's own phone (Beispielhausen has no staff console here: "unavailable").
        for city, phone, other in (
            ("beispielhausen", "0700 555 010 0", "0800 123 456 0"),
            ("musterstadt", "0800 123 456 0", "0700 555 010 0"),
        ):
            ws = await client.ws_connect(f"/{city}/ws/chat")
            await next_frame(ws, of_type("chat.session"))
            await ws.send_json({"type": "chat.send", "text": "Ich möchte mit einem Mitarbeiter sprechen"})
            texts: list[str] = []

            def collect(frame: dict[str, Any], texts: list[str] = texts) -> bool:
                if frame["type"] in ("chat.reply", "chat.status"):
                    texts.append(str(frame.get("text") or ""))
                return frame["type"] == "chat.status"

            status = await next_frame(ws, collect, within=60)
            assert status["status"] in ("handoff_waiting", "handoff_unavailable")
            said = " ".join(texts)
            assert phone in said and other not in said, said
            await ws.close()


async def test_each_city_names_its_own_mayor_and_town_hall(
    rasa_stack: Any, city_indexes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """City facts (municipality.yml `facts:`) are answered per city from one model."""
    monkeypatch.delenv("RATHAUS_CONTENT", raising=False)
    monkeypatch.setenv("RATHAUS_CITIES", f"{MUSTERSTADT},{BEISPIELHAUSEN}")
    async with gateway(rasa_url=rasa_stack.rasa_url, rasa_timeout_s=30.0) as client:
        for city, mayor, other in (
            ("musterstadt", "Dr. Anna Beispiel", "Jonas Probst"),
            ("beispielhausen", "Jonas Probst", "Dr. Anna Beispiel"),
        ):
            reply = await _ask(client, city, "Wer ist Bürgermeister?")
            assert reply["kind"] == "answer" and reply["topic"] == "stadt_buergermeister", reply
            assert mayor in reply["text"] and other not in reply["text"]
        hall = await _ask(client, "beispielhausen", "Wie ist die Telefonnummer der Stadtverwaltung?")
        assert hall["topic"] == "stadt_rathaus" and "0700 555 010 0" in hall["text"], hall
        assert "Marktplatz 1, 54321 Beispielhausen" in hall["text"]
