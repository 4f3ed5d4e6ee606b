"""Evaluation of the assistant: the case file format, labels from replies, and the metrics.

Pure functions (no I/O besides reading the case file): ``label_from_messages`` turns the Rasa REST
replies of one conversation into the label the bot effectively gave, ``summarise`` computes the
metrics that issue 2 asks for. The shell that talks to a running assistant is ``bot.cli``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import BotError
from bot.actions.kinds import ReplyType, reply_type

__all__ = [
    "CaseResult",
    "EvalCase",
    "EvalFile",
    "Summary",
    "TARGETS",
    "candidates_from_messages",
    "label_from_messages",
    "load_cases",
    "read_eval_yaml",
    "validation_problems",
    "summarise",
]

LABEL_PATTERN = re.compile(
    r"^(faq/[a-z0-9_]+|out_of_scope|human_handoff|bot_challenge|greet|goodbye|thanks)$"
)
OUT_OF_SCOPE = "out_of_scope"
CLARIFY = "clarify"

# The answer-quality targets (docs/bot.md): (metric name in Summary, comparison, value).
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("in_scope_accuracy", ">=", 0.95),
    ("out_of_scope_not_answered", ">=", 0.95),
    ("rejected_rate", "<=", 0.03),
    ("dialogue_accuracy", ">=", 0.95),
    ("other_language_accuracy", ">=", 0.85),
)


LANGUAGES = ("de", "en", "tr", "uk", "ru", "ar", "pl")


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    expect: str
    # The asker's language (German if absent) and free tags such as ``municipal`` for out-of-scope
    # questions that sound like city business; both only group the metrics.
    lang: str = "de"
    tags: tuple[str, ...] = ()

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("expect")
    @classmethod
    def _label(cls, value: str) -> str:
        if not LABEL_PATTERN.match(value):
            raise ValueError(
                "must be faq/<topic id>, out_of_scope, human_handoff, bot_challenge, greet, goodbye or thanks"
            )
        return value


class EvalFile(BaseModel):
    model_config = ConfigDict(extra="allow")

    cases: list[EvalCase] = Field(min_length=1)


def read_eval_yaml(path: Path) -> Mapping[str, Any]:
    """The parsed evaluation file; unreadable files, YAML errors and non-mappings raise BotError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BotError(f"cannot read evaluation file {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise BotError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from exc
    if not isinstance(raw, Mapping):
        raise BotError(f"{path}: expected a mapping with a `cases:` list, like\n"
                       "cases:\n  - text: Wie beantrage ich einen Personalausweis?\n"
                       "    expect: faq/personalausweis")
    return raw


def validation_problems(path: Path, exc: ValidationError) -> str:
    """The first 20 problems of ``exc``, one line each, as ``file: location: message``."""
    problems = []
    for error in exc.errors()[:20]:
        location = ".".join(str(part) for part in error["loc"])
        problems.append(f"  {path}: {location}: {error['msg']}")
    return f"{path}: {exc.error_count()} problem(s) in the evaluation file:\n" + "\n".join(problems)


def load_cases(path: Path) -> list[EvalCase]:
    """Read and validate ``cases: [{text, expect}]``; errors name the file, the case and the field.
    A file with only ``conversations`` (bot/conversations.py) has no cases: ``[]``."""
    raw = read_eval_yaml(path)
    if "cases" not in raw and "conversations" in raw:
        return []
    try:
        return list(EvalFile.model_validate(raw).cases)
    except ValidationError as exc:
        raise BotError(
            validation_problems(path, exc)
            + "\nEach case needs `text` (the question) and `expect` (the expected label)."
        ) from exc


def candidates_from_messages(messages: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The retrieval's best topics (``faq/<id>``, at most three) from a turn's payloads, if the bot sent them."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, Mapping) and isinstance(custom.get("candidates"), list):
            return tuple(f"faq/{topic}" for topic in custom["candidates"][:3])
    return ()


def label_from_messages(messages: Iterable[Mapping[str, Any]], *,
                        with_aspect: bool = False) -> tuple[str, float | None]:
    """The label of a bot turn from its REST messages, ignoring the disclosure that opens a conversation.

    ``faq_answer`` -> ``faq/<topic>`` (with ``with_aspect``: ``faq/<topic>#<aspect>`` for an answer to
    one aspect, as conversations are scored), ``clarify``, ``out_of_scope``, ``handoff`` -> ``human_handoff``,
    ``bot_challenge``, ``smalltalk`` -> its intent (``greet`` ...). No payload at all -> ``none``.
    """
    for message in messages:
        custom = message.get("custom")
        if not isinstance(custom, Mapping):
            continue
        kind = reply_type(custom)
        confidence = custom.get("confidence")
        value = float(confidence) if isinstance(confidence, int | float) else None
        if kind is ReplyType.FAQ_ANSWER:
            aspect = custom.get("aspect") if with_aspect else None
            return f"faq/{custom.get('topic')}" + (f"#{aspect}" if aspect else ""), value
        if kind is ReplyType.CLARIFY:
            return CLARIFY, value
        if kind is ReplyType.OUT_OF_SCOPE:
            return OUT_OF_SCOPE, value
        if kind is ReplyType.HANDOFF:
            return "human_handoff", value
        if kind is ReplyType.BOT_CHALLENGE:
            return "bot_challenge", value
        if kind is ReplyType.SMALLTALK:
            return str(custom.get("intent") or "greet"), value
    return "none", None


@dataclass(frozen=True, slots=True)
class CaseResult:
    text: str
    expect: str
    got: str
    confidence: float | None
    top3: tuple[str, ...] = ()
    lang: str = "de"
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ClassScore:
    label: str
    total: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """Metrics over one evaluation run (rates are 0..1; a rate over no cases is 0.0)."""

    total: int
    accuracy: float
    in_scope_total: int
    in_scope_accuracy: float
    clarify_rate: float
    rejected_rate: float
    out_of_scope_total: int
    out_of_scope_not_answered: float
    out_of_scope_precision: float
    out_of_scope_recall: float
    per_class: tuple[ClassScore, ...]
    confused: tuple[tuple[str, str, int], ...]
    in_scope_top3: float = 0.0  # right topic among the retrieval's best three (answered, offered or not)
    dialogue_total: int = 0
    dialogue_accuracy: float = 0.0  # hand-off and AI questions handled as such
    other_language_total: int = 0
    other_language_accuracy: float = 0.0  # in-scope questions not in German answered with the right topic
    municipal_oos_total: int = 0
    municipal_oos_not_answered: float = 0.0  # out of scope but sounds like city business
    per_language: tuple[ClassScore, ...] = ()

    def targets(self) -> list[tuple[str, str, float, float, bool]]:
        """(metric, op, target, value, met) for each of issue 2's targets."""
        out = []
        for name, op, target in TARGETS:
            value = float(getattr(self, name))
            met = value >= target if op == ">=" else value <= target
            out.append((name, op, target, value, met))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "accuracy": self.accuracy,
            "in_scope_total": self.in_scope_total,
            "in_scope_accuracy": self.in_scope_accuracy,
            "clarify_rate": self.clarify_rate,
            "rejected_rate": self.rejected_rate,
            "out_of_scope_total": self.out_of_scope_total,
            "out_of_scope_not_answered": self.out_of_scope_not_answered,
            "out_of_scope_precision": self.out_of_scope_precision,
            "out_of_scope_recall": self.out_of_scope_recall,
            "per_class": {c.label: {"total": c.total, "correct": c.correct, "accuracy": c.accuracy}
                          for c in self.per_class},
            "confused": [{"expect": e, "got": g, "count": n} for e, g, n in self.confused],
            "in_scope_top3": self.in_scope_top3,
            "dialogue_total": self.dialogue_total,
            "dialogue_accuracy": self.dialogue_accuracy,
            "other_language_total": self.other_language_total,
            "other_language_accuracy": self.other_language_accuracy,
            "municipal_oos_total": self.municipal_oos_total,
            "municipal_oos_not_answered": self.municipal_oos_not_answered,
            "per_language": {c.label: {"total": c.total, "correct": c.correct, "accuracy": c.accuracy}
                             for c in self.per_language},
            "targets": [{"metric": n, "op": op, "target": t, "value": v, "met": m}
                        for n, op, t, v, m in self.targets()],
        }


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def summarise(results: Sequence[CaseResult], *, top_confused: int = 10) -> Summary:
    """Per-class accuracy, confusions and the answer-quality rates for ``results``."""
    in_scope = [r for r in results if r.expect.startswith("faq/")]
    dialogue = [r for r in results if r.expect in {"human_handoff", "bot_challenge"}]
    other = [r for r in in_scope if r.lang != "de"]
    municipal = [r for r in results if r.expect == OUT_OF_SCOPE and "municipal" in r.tags]
    languages = sorted({r.lang for r in in_scope})
    oos = [r for r in results if r.expect == OUT_OF_SCOPE]
    predicted_oos = [r for r in results if r.got == OUT_OF_SCOPE]
    totals: Counter[str] = Counter(r.expect for r in results)
    correct: Counter[str] = Counter(r.expect for r in results if r.got == r.expect)
    confused = Counter((r.expect, r.got) for r in results if r.got != r.expect)
    return Summary(
        total=len(results),
        accuracy=_rate(sum(correct.values()), len(results)),
        in_scope_total=len(in_scope),
        in_scope_accuracy=_rate(sum(r.got == r.expect for r in in_scope), len(in_scope)),
        clarify_rate=_rate(sum(r.got == CLARIFY for r in in_scope), len(in_scope)),
        rejected_rate=_rate(sum(r.got == OUT_OF_SCOPE for r in in_scope), len(in_scope)),
        out_of_scope_total=len(oos),
        out_of_scope_not_answered=_rate(sum(not r.got.startswith("faq/") for r in oos), len(oos)),
        out_of_scope_precision=_rate(sum(r.expect == OUT_OF_SCOPE for r in predicted_oos),
                                     len(predicted_oos)),
        out_of_scope_recall=_rate(sum(r.got == OUT_OF_SCOPE for r in oos), len(oos)),
        per_class=tuple(ClassScore(label, totals[label], correct[label]) for label in sorted(totals)),
        confused=tuple((e, g, n) for (e, g), n in sorted(confused.items(), key=lambda kv: (-kv[1], kv[0]))
                       [:top_confused]),
        in_scope_top3=_rate(sum(r.expect in r.top3 or r.got == r.expect for r in in_scope), len(in_scope)),
        dialogue_total=len(dialogue),
        dialogue_accuracy=_rate(sum(r.got == r.expect for r in dialogue), len(dialogue)),
        other_language_total=len(other),
        other_language_accuracy=_rate(sum(r.got == r.expect for r in other), len(other)),
        municipal_oos_total=len(municipal),
        municipal_oos_not_answered=_rate(sum(not r.got.startswith("faq/") for r in municipal), len(municipal)),
        per_language=tuple(
            ClassScore(lang, sum(r.lang == lang for r in in_scope),
                       sum(r.lang == lang and r.got == r.expect for r in in_scope))
            for lang in languages
        ),
    )
