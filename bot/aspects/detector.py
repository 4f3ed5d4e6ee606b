"""Which aspect of a topic a message asks about: a small text classifier over content-driven examples.

Pure (scikit-learn and numpy, no rasa): :meth:`AspectDetector.fit` learns from ``(text, label)`` pairs,
:meth:`AspectDetector.detect` labels one message. The labels are the seven aspects (``fees``,
``documents``, ``office``, ``hours``, ``duration``, ``deadline``, ``online``), ``follow_up`` (names a
topic but no aspect: "Und beim Reisepass?") and ``no_aspect``. The examples come from the content's
``aspects.yml`` (expanded by ``rathaus content build``) and, as ``no_aspect``, from the assistant's
other intents (greetings, out-of-scope questions ...), so a question about the weather is not taken
for an aspect. Features are character n-grams within words (robust to typos and inflection: "Gebühr",
"Gebühren") and word uni- and bigrams ("wie lange", "bis wann"); the classifier is a logistic
regression with balanced classes. Fitting ~800 examples takes well under a second, so the Rasa
component fits at start from the content index instead of storing a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ASPECTS", "FOLLOW_UP", "NO_ASPECT", "AspectDetector", "AspectGuess", "AspectOptions"]

ASPECTS = ("fees", "documents", "office", "hours", "duration", "deadline", "online")
FOLLOW_UP = "follow_up"
NO_ASPECT = "no_aspect"


@dataclass(frozen=True, slots=True)
class AspectOptions:
    """min_confidence: below this the message counts as ``no_aspect``; c: the regression's inverse
    regularisation strength."""

    min_confidence: float = 0.35
    c: float = 10.0


@dataclass(frozen=True, slots=True)
class AspectGuess:
    """The detector's label for one message, its probability and the best three labels."""

    label: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]

    @property
    def aspect(self) -> str | None:
        """The aspect asked about, or ``None`` (``follow_up`` and ``no_aspect`` name none)."""
        return self.label if self.label in ASPECTS else None


class AspectDetector:
    """A fitted classifier; build it with :meth:`fit`."""

    def __init__(self, model: object, labels: tuple[str, ...], options: AspectOptions) -> None:
        self._model = model
        self.labels = labels
        self.options = options

    @classmethod
    def fit(cls, examples: Sequence[tuple[str, str]], *, options: AspectOptions = AspectOptions()) -> AspectDetector:
        """Learn from ``(text, label)`` pairs; needs at least two labels."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # heavy: imported only when fitting
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        texts = [text for text, _ in examples]
        labels = [label for _, label in examples]
        if len(set(labels)) < 2:
            raise ValueError("aspect examples need at least two labels; run `rathaus content build`")
        features = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=True, token_pattern=r"(?u)\b\w+\b"),
        )
        model = make_pipeline(features, LogisticRegression(C=options.c, class_weight="balanced", max_iter=3000))
        model.fit(texts, labels)
        return cls(model, tuple(str(c) for c in model.classes_), options)

    def detect(self, text: str) -> AspectGuess:
        """The label of ``text`` (``no_aspect`` when the best label is below ``min_confidence``)."""
        probabilities = self._model.predict_proba([text[:500]])[0]  # type: ignore[attr-defined]
        order = sorted(range(len(self.labels)), key=lambda i: -float(probabilities[i]))
        ranking = tuple((self.labels[i], round(float(probabilities[i]), 4)) for i in order[:3])
        label, confidence = ranking[0]
        if confidence < self.options.min_confidence:
            label = NO_ASPECT
        return AspectGuess(label=label, confidence=confidence, ranking=ranking)
