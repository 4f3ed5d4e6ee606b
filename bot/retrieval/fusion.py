"""Fusion: one topic ranking and one top-level intent from four signals that fail in different places.

The signals, all measured per message by the Rasa component (``component.py``):

``semantic``
    per topic, the mean of the three highest cosines between the message and the topic's title,
    phrasings and keywords (multilingual-e5-small). Finds everyday words for official terms and other
    languages; on its own it also finds topics for municipal-sounding questions the city does not cover.
``lexical``
    per topic, BM25 over all of the topic's text (``bm25s``), divided by the best topic's score.
``selector``
    per topic, the confidence of Rasa's ResponseSelector (trained on the phrasings).
``diet`` and ``intent_semantic``
    DIET's top-level intent confidences, and per non-FAQ intent (``bot_challenge``, ``human_handoff``,
    ``out_of_scope``, ``greet`` ...) the mean of the three highest cosines to its training examples.

Topic ranking: ``score = w_sem * semantic' + w_lex * lexical + w_sel * selector`` where ``semantic'``
rescales cosines so that the range they actually take (about 0.75-0.95) spans 0-1. The weights were
tuned on the dev part of the independent evaluation set (docs/bot.md).

Top-level intent: ``answerable = sigmoid(b . x)`` is the probability that the best topic answers the
message: a logistic model over a handful of features (best semantic topic, its margin over the
out-of-scope examples, DIET's ``faq`` and ``out_of_scope`` confidences, BM25 strength, the
ResponseSelector's best, the best fused topic score and its lead over the runner-up), fitted on the dev
parts of the independent evaluation set (``rathaus bot tune``) with "the first topic is the right one" as
the label: out-of-scope questions and in-scope questions ranked wrong are both negatives. It is reported
as ``in_scope`` and ``decide()`` (bot/actions/decide.py) compares it with its thresholds. For text that
is not German, DIET and the ResponseSelector see only unknown words, so the model uses the semantic
features alone (a second set of coefficients), and the ranking is the semantic score plus a small weight
(``w_lexical_other``) of BM25, which finds the content's keywords in other languages. A dialogue
intent (AI question, hand-off, greeting ...) wins over ``faq`` when its examples are clearly nearer than
any topic, or when DIET is confident about it in a German message. Messages without content
(``text.assess``) are ``out_of_scope`` whatever the models say.

Pure: numpy in, frozen dataclasses out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DIALOGUE_INTENTS",
    "FEATURES",
    "FEATURES_OTHER",
    "Fused",
    "FusionOptions",
    "Signals",
    "features",
    "fuse",
]

FAQ = "faq"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
DIALOGUE_INTENTS = ("bot_challenge", "human_handoff", "greet", "goodbye", "thanks")

# The answerability model's features, in order (see features()).
FEATURES = ("semantic_best", "semantic_margin", "diet_faq", "diet_oos", "lexical_best", "selector_best",
            "topic_best", "topic_gap")
# The features that mean something for text that is not German (the semantic side is multilingual).
FEATURES_OTHER = FEATURES[:2]


@dataclass(frozen=True)
class Signals:
    """Everything measured for one message; arrays are in ``topic_ids`` order."""

    topic_ids: tuple[str, ...]
    semantic: np.ndarray
    lexical: np.ndarray  # raw BM25 scores
    selector: Mapping[str, float]
    diet: Mapping[str, float]
    intent_semantic: Mapping[str, float]
    language: str = "de"
    quality: str = "ok"


@dataclass(frozen=True)
class FusionOptions:
    """Weights and coefficients of the fusion.

    The defaults were fitted with ``rathaus bot tune data/eval/chat-independent/dev*.yml`` on the
    Musterstadt content (docs/bot.md); a city whose content differs much can fit its own and set them
    as the component's options in bot/config.yml.
    """

    w_semantic: float = 0.6
    w_lexical: float = 0.1
    w_selector: float = 0.3
    # Messages not in German: semantic plus this much BM25 (the keywords in other languages), no selector.
    w_lexical_other: float = 0.1
    semantic_floor: float = 0.75
    semantic_span: float = 0.2
    # Logistic answerability model: bias then one coefficient per FEATURES entry.
    in_scope_de: tuple[float, ...] = (-22.937, 19.243, 35.8753, 0.8497, -0.7951, 2.2877, -1.3598, 1.3525, 7.0488)
    # Other languages: bias, then one coefficient per FEATURES_OTHER entry.
    in_scope_other: tuple[float, ...] = (21.7924, -27.1469, 83.6959)
    # A dialogue intent wins when its examples are this much nearer than any topic and the
    # out-of-scope examples, or when DIET gives it at least dialogue_diet (see _dialogue()).
    dialogue_margin: float = 0.015
    dialogue_diet: float = 0.5
    # The top-level intent Rasa's rules route on: ``faq`` from this probability on, ``nlu_fallback``
    # between the two, ``out_of_scope`` below unsure_threshold. Both ``faq`` and ``nlu_fallback`` go to
    # the action whose decide() chooses answer, "Meinten Sie ...?" or decline on its own thresholds, so
    # unsure_threshold stays below decide()'s lowest (``clarify``).
    in_scope_threshold: float = 0.5
    unsure_threshold: float = 0.05


@dataclass(frozen=True)
class Fused:
    """The fusion's verdict: the top-level intent, the topics best first, and why."""

    intent: str
    confidence: float
    in_scope: float
    topics: tuple[tuple[str, float], ...]
    intent_ranking: tuple[tuple[str, float], ...] = field(default=())
    reason: str = ""


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    z = math.exp(value)
    return z / (1.0 + z)


def features(signals: Signals, options: FusionOptions = FusionOptions(),
             scores: np.ndarray | None = None) -> dict[str, float]:
    """The answerability model's inputs, by name (FEATURES); ``scores``: the topic scores if the caller
    has them already (:func:`topic_scores` with the same options)."""
    semantic_best = float(signals.semantic.max()) if signals.semantic.size else 0.0
    oos = float(signals.intent_semantic.get(OUT_OF_SCOPE, 0.0))
    lexical_best = float(signals.lexical.max()) if signals.lexical.size else 0.0
    if scores is None:
        scores = topic_scores(signals, options)
    ordered = np.sort(scores)[::-1] if scores.size else np.zeros(2)
    return {
        "semantic_best": semantic_best,
        "semantic_margin": semantic_best - oos,
        "diet_faq": float(signals.diet.get(FAQ, 0.0)),
        "diet_oos": float(signals.diet.get(OUT_OF_SCOPE, 0.0)),
        "lexical_best": math.log1p(max(lexical_best, 0.0)),
        "selector_best": max((float(v) for v in signals.selector.values()), default=0.0),
        "topic_best": float(ordered[0]),
        "topic_gap": float(ordered[0] - ordered[1]) if ordered.size > 1 else float(ordered[0]),
    }


def topic_scores(signals: Signals, options: FusionOptions) -> np.ndarray:
    """The fused score of every topic (``signals.topic_ids`` order)."""
    semantic = np.clip((signals.semantic - options.semantic_floor) / options.semantic_span, 0.0, 1.0)
    best_lexical = float(signals.lexical.max()) if signals.lexical.size else 0.0
    lexical = signals.lexical / best_lexical if best_lexical > 0 else np.zeros_like(signals.lexical)
    selector = np.array([float(signals.selector.get(t, 0.0)) for t in signals.topic_ids], dtype=np.float32)
    if signals.language != "de":
        # The ResponseSelector knows German phrasings only; BM25 finds the content's keywords in other
        # languages ("pasaport", "загранпаспорт"), so it counts with its own weight.
        return np.asarray(semantic + options.w_lexical_other * lexical, dtype=np.float32)
    return np.asarray(options.w_semantic * semantic + options.w_lexical * lexical + options.w_selector * selector,
                      dtype=np.float32)


def in_scope(signals: Signals, options: FusionOptions, scores: np.ndarray | None = None) -> float:
    """Probability that the best topic answers the message (logistic model over FEATURES)."""
    x = features(signals, options, scores)
    if signals.language != "de":
        bias, *coef = options.in_scope_other
        names: Sequence[str] = FEATURES_OTHER
    else:
        bias, *coef = options.in_scope_de
        names = FEATURES
    return _sigmoid(bias + sum(c * x[n] for c, n in zip(coef, names, strict=True)))


def _dialogue(signals: Signals, options: FusionOptions) -> tuple[str, float, str] | None:
    """A dialogue intent (AI question, hand-off, greeting ...) if the message is one, else None.

    First the semantic side: the dialogue intent whose examples are nearest, if clearly nearer (by
    ``dialogue_margin``) than any topic and than the out-of-scope examples; it tells "Sind Sie ein
    Mensch?" (AI question) from "Ich will einen Menschen" (hand-off) better than DIET on unseen wording.
    Then DIET's own dialogue intent, if it is confident and the message is German: DIET learnt German
    examples only, and on other languages its confidence says nothing ("kiedy jest wywóz śmieci na mojej
    ulicy" was a greeting to it at 0.98).
    """
    nearest_topic = float(signals.semantic.max()) if signals.semantic.size else 0.0
    others = max(nearest_topic, float(signals.intent_semantic.get(OUT_OF_SCOPE, 0.0)))
    semantic_name = max(DIALOGUE_INTENTS, key=lambda n: float(signals.intent_semantic.get(n, 0.0)))
    semantic_score = float(signals.intent_semantic.get(semantic_name, 0.0))
    if semantic_score >= others + options.dialogue_margin:
        return semantic_name, max(semantic_score, float(signals.diet.get(semantic_name, 0.0))), "dialogue-semantic"
    if signals.language != "de":
        return None
    diet_name = max(DIALOGUE_INTENTS, key=lambda n: float(signals.diet.get(n, 0.0)))
    diet_score = float(signals.diet.get(diet_name, 0.0))
    if diet_score >= options.dialogue_diet:
        return diet_name, diet_score, "dialogue"
    return None


def fuse(signals: Signals, options: FusionOptions = FusionOptions()) -> Fused:
    """Combine the signals into a topic ranking and a top-level intent (see the module docstring)."""
    scores = topic_scores(signals, options)
    order = np.argsort(-scores, kind="stable")
    topics = tuple((signals.topic_ids[i], round(float(scores[i]), 4)) for i in order)
    if signals.quality != "ok":
        return Fused(OUT_OF_SCOPE, 1.0, 0.0, topics, ((OUT_OF_SCOPE, 1.0),), reason=signals.quality)

    p_in = in_scope(signals, options, scores)
    dialogue = _dialogue(signals, options)
    if dialogue is not None:
        name, score, why = dialogue
        return Fused(name, score, p_in, topics, ((name, score), (FAQ, p_in)), reason=why)
    if p_in >= options.in_scope_threshold:
        return Fused(FAQ, p_in, p_in, topics, ((FAQ, p_in), (OUT_OF_SCOPE, 1.0 - p_in)), reason="in_scope")
    if p_in >= options.unsure_threshold:
        return Fused(FALLBACK, 1.0 - p_in, p_in, topics, ((FALLBACK, 1.0 - p_in), (FAQ, p_in)), reason="unsure")
    return Fused(OUT_OF_SCOPE, 1.0 - p_in, p_in, topics, ((OUT_OF_SCOPE, 1.0 - p_in), (FAQ, p_in)),
                 reason="out_of_scope")
