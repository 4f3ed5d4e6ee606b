from __future__ import annotations

import json
from pathlib import Path

import pytest

from channels.errors import FrameTooLarge, InvalidFrame, InvalidJson, UnknownType
from channels.messages import (
    ChatFeedback,
    ChatHandoff,
    ChatReply,
    ChatSend,
    HandoffEvent,
    StaffSend,
    SubtitleCue,
    SubtitlePartial,
    json_schema,
    parse_broker_message,
    parse_chat_request,
    parse_client_frame,
    parse_staff_frame,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schema" / "messages.json"


def test_parses_each_client_frame() -> None:
    send = parse_client_frame('{"type":"chat.send","v":1,"text":"Hallo","payload":"/greet"}')
    assert send == ChatSend(text="Hallo", payload="/greet")
    assert parse_client_frame('{"type":"chat.handoff"}') == ChatHandoff()
    feedback = parse_client_frame('{"type":"chat.feedback","v":1,"message_id":"abc","rating":"down"}')
    assert isinstance(feedback, ChatFeedback) and feedback.rating == "down"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", InvalidJson),
        ("[1, 2]", InvalidJson),
        ('"chat.send"', InvalidJson),
        (b"\xff\xfe", InvalidJson),
        ('{"text": "no type"}', UnknownType),
        ('{"type": "chat.delete"}', UnknownType),
        ('{"type": "staff.take", "session": "x"}', UnknownType),
        ('{"type": "chat.send", "v": 2, "text": "x"}', InvalidFrame),
        ('{"type": "chat.send", "text": 5}', InvalidFrame),
        ('{"type": "chat.send", "text": "x", "extra": 1}', InvalidFrame),
        ('{"type": "chat.feedback", "message_id": "a", "rating": "meh"}', InvalidFrame),
        (json.dumps({"type": "chat.send", "text": "x" * 2001}), FrameTooLarge),
        (json.dumps({"type": "chat.send", "text": "x", "payload": "p" * 1001}), FrameTooLarge),
    ],
)
def test_rejects_bad_frames_with_a_code(text: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        parse_client_frame(text)
    assert info.value.code in {"invalid_json", "unknown_type", "invalid_frame", "too_large"}  # type: ignore[attr-defined]
    assert info.value.german  # type: ignore[attr-defined]


def test_text_of_exactly_the_limit_is_accepted() -> None:
    assert len(parse_client_frame(json.dumps({"type": "chat.send", "text": "ä" * 2000})).text) == 2000


def test_staff_frames_only_on_staff_parser() -> None:
    frame = parse_staff_frame('{"type":"staff.send","session":"abc","text":"Guten Tag"}')
    assert frame == StaffSend(session="abc", text="Guten Tag")
    with pytest.raises(UnknownType):
        parse_staff_frame('{"type":"chat.send","text":"x"}')
    with pytest.raises(InvalidFrame):
        parse_staff_frame('{"type":"staff.send","session":"abc","text":""}')


def test_chat_request_body() -> None:
    assert parse_chat_request('{"text":"Hallo"}').session is None
    with pytest.raises(FrameTooLarge):
        parse_chat_request(json.dumps({"text": "x" * 5000}))


@pytest.mark.parametrize(
    "message",
    [
        SubtitleCue(stream="rat", seq=3, start=1.0, end=2.5, lines=("Guten Abend,", "meine Damen und Herren.")),
        SubtitlePartial(stream="rat", text="Der Antrag"),
        ChatReply(
            id="r1",
            session="s",
            kind="answer",
            text="Antwort",
            topic="reisepass",
            sources=({"title": "Pass", "url": "https://www.musterstadt.example/pass"},),
        ),  # type: ignore[arg-type]
        HandoffEvent(session="s", state="waiting", ts=5.0, origin="abcd"),
    ],
)
def test_broker_messages_round_trip(message: object) -> None:
    assert parse_broker_message(message.model_dump_json()) == message  # type: ignore[attr-defined]


def test_every_message_has_type_and_version() -> None:
    frame = json.loads(ChatReply(id="x", session="s").model_dump_json())
    assert frame["type"] == "chat.reply" and frame["v"] == 1


def test_schema_covers_all_types_and_committed_file_is_current() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    for kind in [
        "chat.send",
        "chat.feedback",
        "chat.handoff",
        "chat.session",
        "chat.history",
        "chat.reply",
        "chat.status",
        "chat.waiting",
        "error",
        "subtitle.cue",
        "subtitle.partial",
        "subtitle.stream",
        "staff.take",
        "staff.send",
        "staff.release",
        "staff.queue",
        "staff.update",
        "staff.message",
        "handoff.event",
        "recording.list",
        "recording.subtitles",
        "recording.subtitle_edit",
        "recording.edit_refused",
    ]:
        assert f'"{kind}"' in text, kind
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(schema)), "run: rathaus gateway schema -o docs/schema/messages.json"
