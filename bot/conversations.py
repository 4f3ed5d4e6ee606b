"""Multi-turn evaluation: conversations run turn by turn in one session, and their metrics.

Pure (no I/O besides reading the file), like :mod:`bot.evaluation`, whose single cases keep working
unchanged. An evaluation file may hold ``cases``, ``conversations`` or both::

    conversations:
      - turns:
          - {text: "Ich brauche einen neuen Personalausweis", expect: faq/personalausweis}
          - {text: "Und was kostet das?", expect: "faq/personalausweis#fees"}
          - {text: "Und beim Reisepass?", expect: "faq/reisepass#fees"}

``expect`` is ``faq/<topic>`` (the whole answer), ``faq/<topic>#<aspect>`` (one aspect: fees,
documents, office, hours, duration, deadline, online), ``out_of_scope``, ``human_handoff``,
``bot_challenge`` (or a smalltalk intent); ``got`` has the same form. The shell that talks to the
assistant is :func:`bot.client.evaluate_conversations`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import BotError
from bot.evaluation import read_eval_yaml, validation_problems

__all__ = [
    "ASPECTS",
    "Conversation",
    "ConversationResult",
    "ConversationSummary",
    "Turn",
    "TurnResult",
    "load_conversations",
    "summarise_conversations",
]

ASPECTS = ("fees", "documents", "office", "hours", "duration", "deadline", "online")
TURN_LABEL = re.compile(
    r"^(faq/[a-z0-9_]+(#(" + "|".join(ASPECTS) + r"))?|out_of_scope|human_handoff|bot_challenge|greet|goodbye|thanks)$"
)
INTERRUPTIONS = ("out_of_scope", "human_handoff")


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    expect: str

    @field_validator("expect")
    @classmethod
    def _label(cls, value: str) -> str:
        if not TURN_LABEL.match(value):
            raise ValueError("must be faq/<topic id>, faq/<topic id>#<aspect> (aspects: " + ", ".join(ASPECTS)
                             + "), out_of_scope, human_handoff or bot_challenge")
        return value


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    turns: list[Turn] = Field(min_length=1)
    tags: tuple[str, ...] = ()


class _ConversationFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    conversations: list[Conversation] = Field(min_length=1)


def load_conversations(path: Path) -> list[Conversation]:
    """``conversations`` of an evaluation file (``[]`` when it has none); errors name file and field."""
    raw = read_eval_yaml(path)
    if "conversations" not in raw:
        return []
    try:
        return list(_ConversationFile.model_validate(raw).conversations)
    except ValidationError as exc:
        raise BotError(validation_problems(path, exc)
                       + "\nEach conversation needs `turns`, each turn `text` and `expect`.") from exc


@dataclass(frozen=True, slots=True)
class TurnResult:
    text: str
    expect: str
    got: str
    confidence: float | None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "expect": self.expect, "got": self.got, "confidence": self.confidence,
                "seconds": round(self.seconds, 4)}


@dataclass(frozen=True, slots=True)
class ConversationResult:
    turns: tuple[TurnResult, ...]
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"turns": [t.to_dict() for t in self.turns], "tags": list(self.tags)}


def _topic(label: str) -> str:
    return label.partition("#")[0]


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """Rates over the turns of a run (0..1; over no turns 0.0).

    first_turn_accuracy:        first turns exactly right (topic, and aspect or whole answer);
    first_turn_topic_accuracy:  first turns with the right topic, as the single-question evaluation scores;
    follow_up_accuracy:         later turns that expect a topic, answered with the right topic and aspect;
    after_interruption_accuracy: those of them that follow an out-of-scope or hand-off turn;
    p50_first_s / p50_follow_up_s: median answer time of first and later turns, end to end through
    the REST channel; p95_*: the 95th percentile (interpolated between ranks); run with
    ``--concurrency 1`` to measure latency rather than queueing.
    """

    conversations: int
    turns: int
    turn_accuracy: float
    first_turn_total: int
    first_turn_accuracy: float
    first_turn_topic_accuracy: float
    follow_up_total: int
    follow_up_accuracy: float
    after_interruption_total: int
    after_interruption_accuracy: float
    p50_first_s: float
    p50_follow_up_s: float
    p95_first_s: float
    p95_follow_up_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise_conversations(results: Sequence[ConversationResult]) -> ConversationSummary:
    turns = [t for r in results for t in r.turns]
    firsts = [r.turns[0] for r in results if r.turns]
    follow_ups: list[TurnResult] = []
    after: list[TurnResult] = []
    for result in results:
        for previous, turn in zip(result.turns, result.turns[1:], strict=False):
            if turn.expect.startswith("faq/"):
                follow_ups.append(turn)
                if previous.expect in INTERRUPTIONS:
                    after.append(turn)
    later = [t for r in results for t in r.turns[1:]]
    return ConversationSummary(
        conversations=len(results),
        turns=len(turns),
        turn_accuracy=_rate(sum(t.got == t.expect for t in turns), len(turns)),
        first_turn_total=len(firsts),
        first_turn_accuracy=_rate(sum(t.got == t.expect for t in firsts), len(firsts)),
        first_turn_topic_accuracy=_rate(sum(_topic(t.got) == _topic(t.expect) for t in firsts), len(firsts)),
        follow_up_total=len(follow_ups),
        follow_up_accuracy=_rate(sum(t.got == t.expect for t in follow_ups), len(follow_ups)),
        after_interruption_total=len(after),
        after_interruption_accuracy=_rate(sum(t.got == t.expect for t in after), len(after)),
        p50_first_s=_percentile([t.seconds for t in firsts], 50),
        p50_follow_up_s=_percentile([t.seconds for t in later], 50),
        p95_first_s=_percentile([t.seconds for t in firsts], 95),
        p95_follow_up_s=_percentile([t.seconds for t in later], 95),
    )


def _percentile(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile, linear between closest ranks (as ``bot.bench.percentile``); 0.0 for none."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
