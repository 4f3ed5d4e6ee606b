"""Whether to answer, ask "Meinten Sie ...?" or decline: the assistant's one real decision.

The retrieval component in the Rasa pipeline (``bot/retrieval``) fuses four signals (semantic and
lexical similarity to the content, DIET's top-level intent, the ResponseSelector) into one topic
ranking and one probability that the best topic answers the message (``in_scope``, a model fitted on
the dev parts of the independent evaluation set), and sets the top-level intent. This module reads that
verdict (``retrieval`` in the parse data) and answers when the probability is high, offers up to three
close topics when it is middling, and declines otherwise. A model without the component (``retrieval``
missing) falls back to the ResponseSelector's own ranking, which is why that reader stays (RasaHQ/rasa#9723:
the top-level ``faq`` confidence alone says nothing about the topic). Plain Python: no rasa_sdk, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Candidate",
    "Decision",
    "Thresholds",
    "THRESHOLD_NAMES",
    "DEFAULT_THRESHOLDS",
    "Verdict",
    "decide",
    "faq_ranking",
    "intent_confidence",
    "read_verdict",
]

RETRIEVAL_INTENT = "faq"

Kind = Literal["answer", "clarify", "out_of_scope"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the assistant answers, on the retrieval's probability that its best topic answers the message
    (``in_scope`` of the verdict, 0..1); values and how they were chosen on the dev set: docs/bot.md.

    answer:        answer the best topic directly from this probability on ...
    answer_other:  ... for messages not in German (the model sees the semantic side only);
    gap:           ... and, in German, only when the best fused topic score leads the runner-up by this
                   much (a near tie is a question for the citizen, "Pass oder Ausweis?"; the semantic-only
                   scores of other languages lie too close together for it);
    clarify:       below that, but at least this: ask "Meinten Sie ...?" with the close topics; decline
                   below.
    window:        "Meinten Sie" offers every topic within this distance of the best fused score (at
                   most ``options``).
    answer_fact:   a city fact (mayor, inhabitants, town hall: one sentence, true of nothing else) is
                   answered only from this probability on; below, the citizen is asked or declined as
                   above ("Wie gut ist das Trinkwasser in Musterstadt?" is no question about inhabitants).
    """

    answer: float = 0.5
    answer_other: float = 0.3
    gap: float = 0.01
    clarify: float = 0.15
    window: float = 0.08
    options: int = 3
    answer_fact: float = 0.9


DEFAULT_THRESHOLDS = Thresholds()
THRESHOLD_NAMES = ("answer", "answer_other", "gap", "clarify", "window", "answer_fact")


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


@dataclass(frozen=True, slots=True)
class Verdict:
    """The retrieval component's verdict for a message (``retrieval`` in the parse data)."""

    intent: str
    in_scope: float
    ranking: tuple[Candidate, ...]
    language: str = "de"
    quality: str = "ok"


def read_verdict(parse_data: Mapping[str, Any]) -> Verdict:
    """The component's verdict, or one made from DIET and the ResponseSelector for a model without it."""
    intent = str((parse_data.get("intent") or {}).get("name") or "")
    block = parse_data.get("retrieval")
    if isinstance(block, Mapping) and isinstance(block.get("topics"), list):
        ranking: list[Candidate] = []
        for entry in block["topics"]:
            if isinstance(entry, Mapping) and entry.get("topic"):
                try:
                    ranking.append(Candidate(str(entry["topic"]), float(entry.get("score") or 0.0)))
                except (TypeError, ValueError):
                    continue
        try:
            probability = float(block.get("in_scope") or 0.0)
        except (TypeError, ValueError):
            probability = 0.0
        return Verdict(intent, probability, tuple(ranking), str(block.get("language") or "de"),
                       str(block.get("quality") or "ok"))
    # Without the component: DIET's faq confidence says nothing about the topic (RasaHQ/rasa#9723), so
    # the chance that the best topic answers is that confidence times the ResponseSelector's best.
    selector = tuple(faq_ranking(parse_data))
    best = selector[0].confidence if selector else 0.0
    return Verdict(intent, intent_confidence(parse_data, RETRIEVAL_INTENT) * best, selector)


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
    in_scope: float,
    ranking: Sequence[Candidate],
    known_topics: frozenset[str] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    language: str = "de",
    fact_topics: frozenset[str] = frozenset(),
) -> Decision:
    """Decide for one message.

    ``intent`` is the top-level intent (``faq`` or ``nlu_fallback`` when the retrieval found a candidate,
    ``out_of_scope`` otherwise), ``in_scope`` the probability that the best topic of ``ranking`` (the
    fused topic scores) answers the message. Topics missing from ``known_topics`` (content removed since
    training) are ignored; ``fact_topics`` (city facts) need ``thresholds.answer_fact`` to be answered.
    """
    usable = sorted((c for c in ranking if known_topics is None or c.topic in known_topics),
                    key=lambda c: c.confidence, reverse=True)
    if not usable:
        return Decision(kind="out_of_scope", confidence=0.0)
    best = usable[0]
    close = tuple(c for c in usable[: thresholds.options] if best.confidence - c.confidence <= thresholds.window)
    options = close if len(close) > 1 else tuple(usable[:2])
    answer = thresholds.answer if language == "de" else thresholds.answer_other
    if best.topic in fact_topics:
        answer = max(answer, thresholds.answer_fact)
    lead = best.confidence - (usable[1].confidence if len(usable) > 1 else 0.0)
    if intent != "out_of_scope" and in_scope >= answer and (language != "de" or lead >= thresholds.gap):
        return Decision(kind="answer", confidence=in_scope, topic=best.topic)
    if in_scope >= thresholds.clarify:
        return Decision(kind="clarify", confidence=in_scope, options=options)
    return Decision(kind="out_of_scope", confidence=in_scope)
