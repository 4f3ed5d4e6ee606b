"""Whether to answer, ask "Meinten Sie ...?" or decline: the assistant's one real decision.

Rasa's FallbackClassifier only sees the top-level intent, so a random question can score ``faq`` 0.99
while the ResponseSelector's best topic scores 0.1 (RasaHQ/rasa#9723). This module therefore reads the
ResponseSelector's own ranking and answers only when its best topic is confident *and* clearly ahead of
the runner-up. Plain Python: no rasa_sdk, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Candidate",
    "Decision",
    "Thresholds",
    "DEFAULT_THRESHOLDS",
    "decide",
    "faq_ranking",
    "intent_confidence",
]

RETRIEVAL_INTENT = "faq"

Kind = Literal["answer", "clarify", "out_of_scope"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the assistant answers; see docs/bot.md for how these values were measured.

    Confidences are the ResponseSelector's softmax over all topics (41 in Musterstadt), so a clear
    winner often has 0.3-0.6; the gap to the runner-up is what separates a confident answer from a
    guess between two similar topics. Answers additionally require DIET's top-level intent ``faq``.

    answer:           the best topic's confidence must reach this to answer directly ...
    gap:              ... and be at least this far ahead of the runner-up.
    clarify:          below ``answer`` (or with a small gap) but at least this: ask "Meinten Sie ...?".
    fallback_answer:  when the top-level intent is ``nlu_fallback`` (DIET unsure about the message
                      as a whole), answer only at this much higher topic confidence ...
    fallback_faq:     ... and only if ``faq`` still has at least this confidence at the top level;
                      otherwise offer topics (clarify) if ``faq`` reaches this, else decline.
    """

    answer: float = 0.25
    gap: float = 0.1
    clarify: float = 0.1
    fallback_answer: float = 0.8
    fallback_faq: float = 0.2


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One topic from the ResponseSelector's ranking."""

    topic: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a message: ``answer`` ``topic``, offer ``options``, or decline."""

    kind: Kind
    confidence: float
    topic: str | None = None
    options: tuple[Candidate, ...] = ()


def faq_ranking(parse_data: Mapping[str, Any]) -> tuple[Candidate, ...]:
    """The ResponseSelector's ranking of FAQ topics from a message's parse data, best first.

    Looks under ``response_selector.faq`` and, for a selector trained without ``retrieval_intent``,
    ``response_selector.default``. Unknown shapes give an empty ranking instead of an error.
    """
    selector = parse_data.get("response_selector") or {}
    if not isinstance(selector, Mapping):
        return ()
    block = selector.get(RETRIEVAL_INTENT) or selector.get("default") or {}
    ranking = block.get("ranking") if isinstance(block, Mapping) else None
    candidates = []
    for entry in ranking or ():
        if not isinstance(entry, Mapping):
            continue
        key = str(entry.get("intent_response_key") or "")
        _, _, topic = key.partition("/")
        try:
            confidence = float(entry.get("confidence") or 0.0)
        except (TypeError, ValueError):
            continue
        if topic:
            candidates.append(Candidate(topic=topic, confidence=confidence))
    candidates.sort(key=lambda c: c.confidence, reverse=True)
    return tuple(candidates)


def intent_confidence(parse_data: Mapping[str, Any], name: str) -> float:
    """Confidence of intent ``name`` in the message's intent ranking (0.0 if absent)."""
    for entry in parse_data.get("intent_ranking") or ():
        if isinstance(entry, Mapping) and entry.get("name") == name:
            try:
                return float(entry.get("confidence") or 0.0)
            except (TypeError, ValueError):
                return 0.0
    intent = parse_data.get("intent") or {}
    if isinstance(intent, Mapping) and intent.get("name") == name:
        return float(intent.get("confidence") or 0.0)
    return 0.0


def decide(
    *,
    intent: str | None,
    faq_confidence: float,
    ranking: Sequence[Candidate],
    known_topics: frozenset | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Decision:
    """Decide for one message.

    ``intent`` is the top-level intent Rasa predicted (``faq`` or ``nlu_fallback``; anything else is
    treated like ``nlu_fallback``), ``faq_confidence`` the top-level confidence of ``faq``, ``ranking``
    the ResponseSelector's topics. Topics missing from ``known_topics`` (content removed since
    training) are ignored.
    """
    usable = [c for c in ranking if known_topics is None or c.topic in known_topics]
    usable.sort(key=lambda c: c.confidence, reverse=True)
    if not usable:
        return Decision(kind="out_of_scope", confidence=0.0)
    best = usable[0]
    runner_up = usable[1].confidence if len(usable) > 1 else 0.0
    gap = best.confidence - runner_up
    options = tuple(usable[:2])

    if intent == RETRIEVAL_INTENT:
        if best.confidence >= thresholds.answer and gap >= thresholds.gap:
            return Decision(kind="answer", confidence=best.confidence, topic=best.topic)
        if best.confidence >= thresholds.clarify:
            return Decision(kind="clarify", confidence=best.confidence, options=options)
        return Decision(kind="out_of_scope", confidence=best.confidence)

    # DIET is unsure about the message as a whole: be stricter.
    if faq_confidence >= thresholds.fallback_faq:
        if best.confidence >= thresholds.fallback_answer and gap >= thresholds.gap:
            return Decision(kind="answer", confidence=best.confidence, topic=best.topic)
        if best.confidence >= thresholds.clarify:
            return Decision(kind="clarify", confidence=best.confidence, options=options)
    return Decision(kind="out_of_scope", confidence=best.confidence)
