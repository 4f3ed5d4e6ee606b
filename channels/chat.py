"""The chat session core, sans-I/O: Rasa REST replies -> ``chat.reply`` messages, German system texts,
and the circuit breaker that decides when to try Rasa again.

Rasa's REST channel returns a list of messages; an action that sends text plus a custom payload arrives
as two entries (``{"text": ...}`` then ``{"custom": {...}}``). :func:`map_rasa_messages` merges such pairs
into one reply bubble and maps the custom payloads (``bot.actions.kinds.ReplyType``) to reply kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.actions.kinds import ReplyType, reply_type
from channels.messages import Action, Button, ChatReply, Office, ReplyKind, Source

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "ChatOutcome",
    "REPLY_KINDS",
    "CityInfo",
    "RasaMessage",
    "StatusKind",
    "map_rasa_messages",
    "texts",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RasaMessage(_Lenient):
    """One entry of Rasa's REST webhook answer."""

    recipient_id: str | None = None
    text: str | None = None
    buttons: list[Button] = []
    custom: dict[str, Any] | None = None
    image: str | None = None


class _ClarifyOption(_Lenient):
    topic: str | None = None
    title: str
    payload: str | None = None
    confidence: float | None = None


class _Custom(_Lenient):
    type: str = "info"
    text: str | None = None
    topic: str | None = None
    title: str | None = None
    answer: str | None = None
    answer_easy: str | None = None
    summary: str | None = None
    actions: list[Action] = []
    sources: list[Source] = []
    office: Office | None = None
    last_reviewed: str | None = None
    confidence: float | None = None
    options: list[_ClarifyOption] = []
    language: str | None = None
    language_note: str | None = None
    aspect: str | None = None


#: The gateway's reply kind for each kind of bot reply (``bot/actions/kinds.py``); unknown kinds: "info".
REPLY_KINDS: dict[ReplyType, ReplyKind] = {
    ReplyType.FAQ_ANSWER: "answer",
    ReplyType.CLARIFY: "clarify",
    ReplyType.DISCLOSURE: "disclosure",
    ReplyType.OUT_OF_SCOPE: "out_of_scope",
    ReplyType.HANDOFF: "handoff",
    ReplyType.BOT_CHALLENGE: "bot_challenge",
    ReplyType.SMALLTALK: "smalltalk",
}


@dataclass(frozen=True, slots=True)
class CityInfo:
    name: str
    phone: str
    email: str | None = None
    unavailable: str | None = None  # the city's own "nobody in the chat" text (phone, e-mail, hours)


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    """Replies for the citizen, and whether the bot asked to hand the conversation to a person."""

    replies: tuple[ChatReply, ...]
    handoff: bool = False


@dataclass(slots=True)
class _Draft:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    custom: _Custom | None = None


def _reply_kind(payload_type: str) -> ReplyKind:
    kind = reply_type({"type": payload_type})
    return REPLY_KINDS[kind] if kind is not None else "info"


def _reply(draft: _Draft, *, session: str, msg_id: str, now: float) -> ChatReply:
    custom = draft.custom
    if custom is None:
        return ChatReply(
            id=msg_id,
            session=session,
            kind="smalltalk" if draft.text else "info",
            text=draft.text,
            buttons=tuple(draft.buttons),
            ts=now,
        )
    buttons = list(draft.buttons)
    if not buttons and custom.options:
        buttons = [
            Button(title=o.title, payload=o.payload or f'/choose_topic{{"topic":"{o.topic}"}}') for o in custom.options
        ]
    return ChatReply(
        id=msg_id,
        session=session,
        kind=_reply_kind(custom.type),
        # An answer's sources, office and review date travel as fields; its text is the answer alone, not
        # Rasa's text-only rendering with those details appended (which would show them twice).
        text=custom.answer or draft.text or custom.text or ("Meinten Sie eines dieser Themen?" if buttons else ""),
        answer_easy=custom.answer_easy,
        summary=custom.summary,
        actions=tuple(custom.actions),
        topic=custom.topic,
        title=custom.title,
        sources=tuple(custom.sources),
        buttons=tuple(buttons),
        confidence=custom.confidence,
        last_reviewed=custom.last_reviewed,
        office=custom.office,
        language=custom.language,
        language_note=custom.language_note,
        aspect=custom.aspect,
        ts=now,
    )


def map_rasa_messages(raw: Iterable[Any], *, session: str, new_id: Callable[[], str], now: float) -> ChatOutcome:
    """Map Rasa's REST answer (a JSON list) to reply bubbles; malformed entries are skipped."""
    drafts: list[_Draft] = []
    handoff = False
    for item in raw:
        try:
            message = RasaMessage.model_validate(item)
            custom = _Custom.model_validate(message.custom) if message.custom is not None else None
        except ValidationError:
            continue
        if custom is not None and reply_type({"type": custom.type}) is ReplyType.HANDOFF:
            handoff = True
        current = drafts[-1] if drafts else None
        if message.text or message.buttons:
            current = _Draft(text=message.text or "", buttons=list(message.buttons))
            drafts.append(current)
        if custom is not None:
            # A custom payload completes the text bubble before it, unless that one has its own.
            if current is None or current.custom is not None:
                current = _Draft()
                drafts.append(current)
            current.custom = custom
    replies = tuple(_reply(d, session=session, msg_id=new_id(), now=now) for d in drafts)
    return ChatOutcome(replies=tuple(r for r in replies if r.text or r.buttons), handoff=handoff)


class BreakerState(StrEnum):
    CLOSED = "closed"  # Rasa answers; send everything
    OPEN = "open"  # Rasa failed; answer "unavailable" at once until retry_after_s passed
    HALF_OPEN = "half_open"  # one trial request is under way


class CircuitBreaker:
    """Decides whether to call Rasa. Opens after ``failures`` consecutive connection failures, lets one
    trial request through after ``retry_after_s``, closes again on its success.

    The shell reports only connection failures (refused, unreachable) as :meth:`failure`: a slow answer
    under load means Rasa is busy, and opening the breaker then would turn a queue into refusals.
    """

    def __init__(self, *, failures: int = 3, retry_after_s: float = 5.0) -> None:
        self.failures = failures
        self.retry_after_s = retry_after_s
        self.state = BreakerState.CLOSED
        self._errors = 0
        self._opened_at = 0.0

    def allow(self, now: float) -> bool:
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN and now - self._opened_at >= self.retry_after_s:
            self.state = BreakerState.HALF_OPEN
            return True
        return False

    def success(self) -> None:
        self.state = BreakerState.CLOSED
        self._errors = 0

    def failure(self, now: float) -> None:
        self._errors += 1
        if self.state is BreakerState.HALF_OPEN or self._errors >= self.failures:
            self.state = BreakerState.OPEN
            self._opened_at = now


StatusKind = Literal[
    "handoff_waiting", "handoff_active", "handoff_timeout", "handoff_ended", "handoff_unavailable", "handoff_cancelled"
]


class texts:  # noqa: N801 - a namespace of German texts citizens read
    @staticmethod
    def unavailable(city: CityInfo) -> str:
        return (
            "Entschuldigung, der Chat-Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es "
            f"in ein paar Minuten noch einmal oder rufen Sie den Bürgerservice der Stadt {city.name} "
            f"an: {city.phone}."
        )

    @staticmethod
    def status(kind: StatusKind, city: CityInfo, *, position: int | None = None, timeout_s: float | None = None) -> str:
        contact = f"telefonisch unter {city.phone}"
        if city.email:
            contact += f" oder per E-Mail an {city.email}"
        waiting = "Ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter."
        if position == 1:
            waiting += " Sie sind als Nächste oder Nächster an der Reihe."
        elif position is not None:
            waiting += f" Vor Ihnen warten {position - 1} andere."
        if timeout_s is not None and timeout_s >= 60:
            minutes = round(timeout_s / 60)
            waiting += (
                f" Wenn in {'einer Minute' if minutes == 1 else f'{minutes} Minuten'} niemand frei ist, "
                "nenne ich Ihnen andere Wege."
            )
        waiting += " Ihre Nachrichten werden weitergegeben."
        return {
            "handoff_waiting": waiting,
            "handoff_unavailable": city.unavailable
            or f"Im Moment ist leider niemand im Chat erreichbar. Sie erreichen den Bürgerservice {contact}.",
            "handoff_cancelled": "Sie haben die Anfrage zurückgezogen. Der Chat-Assistent beantwortet gern weiter "
            "Ihre Fragen.",
            "handoff_active": "Eine Mitarbeiterin oder ein Mitarbeiter ist jetzt für Sie da.",
            "handoff_timeout": "Im Moment ist leider niemand im Chat erreichbar. Sie erreichen den "
            f"Bürgerservice {contact}. Der Chat-Assistent beantwortet gern weiter Ihre Fragen.",
            "handoff_ended": "Das Gespräch mit unserer Mitarbeiterin oder unserem Mitarbeiter ist beendet. "
            "Der Chat-Assistent beantwortet gern weiter Ihre Fragen.",
        }[kind]

    @staticmethod
    def waiting(position: int) -> str:
        if position <= 1:
            ahead = "Ihre Frage ist als nächste dran"
        elif position == 2:
            ahead = "Vor Ihrer Frage ist noch eine andere an der Reihe"
        else:
            ahead = f"Vor Ihrer Frage sind noch {position - 1} andere an der Reihe"
        return (
            f"Gerade stellen viele Menschen gleichzeitig Fragen. {ahead}. Ihre Frage geht nicht verloren, "
            "die Antwort kommt gleich."
        )

    @staticmethod
    def busy(city: CityInfo) -> str:
        return (
            "Entschuldigung, gerade stellen sehr viele Menschen gleichzeitig Fragen. Bitte versuchen Sie es "
            f"in ein paar Minuten noch einmal oder rufen Sie den Bürgerservice der Stadt {city.name} an: "
            f"{city.phone}."
        )

    @staticmethod
    def handoff_limit(city: CityInfo) -> str:
        return (
            "Von Ihrem Anschluss aus warten schon mehrere Gespräche auf eine Mitarbeiterin oder einen "
            "Mitarbeiter. Bitte warten Sie, bis eines davon übernommen wurde, oder rufen Sie den "
            f"Bürgerservice an: {city.phone}."
        )

    @staticmethod
    def callback_saved(city: CityInfo) -> str:
        return (
            "Vielen Dank. Ihre Bitte um Rückruf ist gespeichert. Eine Mitarbeiterin oder ein Mitarbeiter "
            f"des Bürgerservice meldet sich so bald wie möglich bei Ihnen. Eilt es, rufen Sie an: {city.phone}."
        )

    @staticmethod
    def callback_exists(city: CityInfo) -> str:
        return (
            "Ihre Bitte um Rückruf ist schon gespeichert; wir melden uns. Eilt es, rufen Sie den Bürgerservice "
            f"an: {city.phone}."
        )

    @staticmethod
    def empty() -> str:
        return "Bitte schreiben Sie Ihre Frage in das Textfeld."
