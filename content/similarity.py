"""Find phrasings of different topics that the bot would confuse (pure; numpy only).

Three rules, strongest first:

``duplicate``
    the same phrasing after normalisation (case, punctuation, whitespace, umlauts);
``same_words``
    the same content words, differing only in stop words or word order
    ("Wo kann ich mich ummelden" / "Wo kann ich mich denn ummelden");
``similar`` (reported as a warning)
    cosine similarity of character n-gram TF-IDF vectors at or above a threshold. IDF is computed over
    all phrasings, so the rare words that name a topic ("Personalausweis" vs "Reisepass") weigh more
    than the frame they sit in ("Wie beantrage ich einen ..."), and such legitimate pairs stay apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "SEMANTIC_MARGIN",
    "STOPWORDS",
    "WARNING_THRESHOLD",
    "CloserElsewhere",
    "Conflict",
    "Phrase",
    "closer_elsewhere",
    "content_words",
    "find_conflicts",
    "normalise",
]

# Tuned on the Musterstadt content (about 600 phrasings): legitimate pairs such as
# "Wie melde ich mein Auto an?" / "... ab?" reach about 0.87, so only higher scores are reported.
WARNING_THRESHOLD = 0.90

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

# Function words and fillers that do not tell topics apart. Separable verb particles (an, ab, um, aus,
# auf, zu, vor, nach, mit, ...) are deliberately absent: "Auto anmelden" and "Auto abmelden" differ.
STOPWORDS: frozenset[str] = frozenset(
    """
    a alle allem allen aller alles als also am auch bei beim bin bis bitte bzw da dafuer damit danke
    dann darf das dass davon dazu dem den denn der des dich die dies diese diesem diesen dieser dir doch
    dort du eben eigentlich ein eine einem einen einer eines einfach er es etwa etwas euch fuer gerade
    gern gerne genau gibt gibts hab habe haben hallo halt hat hast heute hier ich ihm ihn ihr ihre im in
    irgendwie ist ja jemand jetzt kann kannst koennen koennte man mal mein meine meinem meinen meiner
    meines mich mir moechte muss muessen noch nochmal nun nur ob oder ok okay schon sein seine sich sie
    sind so soll sollte sowie uns unser unsere von vom wann war warum was weiss welche welchem welchen
    welcher welches wenn wer werden wie wieso will wir wird wo woher wohin wohl wuerde zum zur
    """.split()
)

Rule = Literal["duplicate", "same_words", "similar"]


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrasing: which topic it belongs to and its position in that topic's ``questions``."""

    topic: str
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two phrasings of different topics that look alike; ``score`` is the cosine similarity."""

    first: Phrase
    second: Phrase
    rule: Rule
    score: float


def normalise(text: str) -> str:
    """Lower case, umlauts folded, punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def _stem(word: str) -> str:
    # A deliberately crude German suffix strip: enough to equate "beantrage"/"beantragen".
    for suffix in ("ern", "en", "em", "er", "es", "e", "n", "s"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    """Stemmed words of ``text`` that are not stop words."""
    return frozenset(_stem(w) for w in normalise(text).split() if w not in STOPWORDS)


def _ngrams(text: str) -> list[str]:
    grams: list[str] = []
    for word in normalise(text).split():
        padded = f" {word} "
        for n in (3, 4):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _tfidf(texts: Sequence[str]) -> np.ndarray:
    docs = [_ngrams(t) for t in texts]
    vocab: dict[str, int] = {}
    for grams in docs:
        for gram in grams:
            vocab.setdefault(gram, len(vocab))
    matrix = np.zeros((len(docs), max(len(vocab), 1)), dtype=np.float32)
    for row, grams in enumerate(docs):
        for gram in grams:
            matrix[row, vocab[gram]] += 1.0
    df = (matrix > 0).sum(axis=0)
    idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
    matrix = np.where(matrix > 0, 1.0 + np.log(np.maximum(matrix, 1.0)), 0.0) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = (matrix / norms).astype(np.float32)
    return normalised


def find_conflicts(phrases: Sequence[Phrase], *, threshold: float = WARNING_THRESHOLD) -> list[Conflict]:
    """Pairs of phrasings from *different* topics that the bot would confuse, in input order."""
    if len(phrases) < 2:
        return []
    normal = [normalise(p.text) for p in phrases]
    words = [content_words(p.text) for p in phrases]
    topics = np.array([p.topic for p in phrases])
    vectors = _tfidf([p.text for p in phrases])
    sims = vectors @ vectors.T
    conflicts: list[Conflict] = []
    for i in range(len(phrases)):
        other = topics[i + 1 :] != topics[i]
        candidates = np.nonzero(other)[0] + i + 1
        for j in candidates.tolist():
            score = float(sims[i, j])
            rule: Rule | None = None
            if normal[i] == normal[j]:
                rule = "duplicate"
            elif words[i] and words[i] == words[j]:
                rule = "same_words"
            elif score >= threshold:
                rule = "similar"
            if rule is not None:
                conflicts.append(Conflict(phrases[i], phrases[j], rule, round(min(score, 1.0), 3)))
    return conflicts


@dataclass(frozen=True, slots=True)
class CloserElsewhere:
    """A phrasing whose nearest topic in meaning is another one (scores: mean of the top-k cosines)."""

    phrase: Phrase
    own_score: float
    other: str
    other_score: float


# e5 cosines of one city's phrasings differ by a few thousandths between neighbouring topics; on the
# Musterstadt content half of the phrasings nearer another topic are so by less than 0.012. From 0.03 on
# (about 15 of 876) the pair is worth an editor's look, e.g. "Was ist eine Fiktionsbescheinigung?" next
# to meldebescheinigung.
SEMANTIC_MARGIN = 0.03


def closer_elsewhere(
    phrases: Sequence[Phrase], vectors: np.ndarray, *, k: int = 3, margin: float = SEMANTIC_MARGIN
) -> list[CloserElsewhere]:
    """Phrasings at least ``margin`` nearer another topic than their own, as the retrieval sees them.

    A topic's score for a phrasing is the mean of its ``k`` highest cosines to the topic's other texts
    (the phrasing itself left out), the same measure the retrieval uses for a citizen's question.
    ``vectors`` are unit vectors, one row per phrase.
    """
    if len(phrases) < 2:
        return []
    topics = sorted({p.topic for p in phrases})
    owner = np.array([topics.index(p.topic) for p in phrases])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    found: list[CloserElsewhere] = []
    for i, phrase in enumerate(phrases):
        scores = np.full(len(topics), -np.inf)
        for t in range(len(topics)):
            mine = sims[i, owner == t]
            mine = mine[np.isfinite(mine)]
            if mine.size:
                scores[t] = float(np.sort(mine)[-k:].mean())
        own = scores[owner[i]]
        best = int(np.argmax(scores))
        if best != owner[i] and np.isfinite(own) and scores[best] - own >= margin:
            found.append(CloserElsewhere(phrase, round(float(own), 4), topics[best], round(float(scores[best]), 4)))
    return found
