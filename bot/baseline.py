"""The bar the assistant has to clear: a plain site search over the same content.

Berlin's rule-based chatbot was switched off because it was "hardly better than the site search"
(shared lesson, docs/bot.md). This module is that site search: Okapi BM25 over what a city website
shows for each topic (title, answer, documents, source titles, office name), *without* the citizen
phrasings the assistant is trained on. ``rathaus bot baseline`` runs an evaluation file against it,
so the assistant's numbers from ``rathaus bot eval`` have something to be compared with.

Pure Python on the validated content; no Rasa, no I/O beyond loading the content.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.evaluation import EvalCase
from content.model import Content
from content.similarity import content_words, normalise

__all__ = ["BaselineResult", "BaselineSummary", "SearchIndex", "evaluate_baseline"]

_K1 = 1.5
_B = 0.75


def _terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` with repetitions (BM25 needs term frequencies)."""
    return [term for token in normalise(text).split() for term in content_words(token)]


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """BM25 over one document per topic."""

    topic_ids: tuple[str, ...]
    documents: tuple[Counter[str], ...]
    lengths: tuple[int, ...]
    idf: dict[str, float]

    @classmethod
    def from_content(cls, content: Content) -> SearchIndex:
        ids: list[str] = []
        documents: list[Counter[str]] = []
        for topic in content.topics:
            page = [topic.title, topic.answer, *topic.documents, *(source.title for source in topic.sources),
                    content.office(topic.office).name]
            ids.append(topic.id)
            documents.append(Counter(_terms(" ".join(page))))
        count = len(documents)
        frequency = Counter(term for document in documents for term in document)
        idf = {term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}
        return cls(tuple(ids), tuple(documents), tuple(sum(d.values()) for d in documents), idf)

    def search(self, query: str, *, limit: int = 3) -> list[tuple[str, float]]:
        """The best topics for ``query`` with their scores; empty when no word of it occurs anywhere."""
        terms = [term for term in _terms(query) if term in self.idf]
        if not terms:
            return []
        average = sum(self.lengths) / len(self.lengths)
        scored: list[tuple[str, float]] = []
        for topic_id, document, length in zip(self.topic_ids, self.documents, self.lengths, strict=True):
            score = 0.0
            for term in terms:
                tf = document.get(term, 0)
                if tf:
                    score += self.idf[term] * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / average))
            if score > 0:
                scored.append((topic_id, score))
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored[:limit]


@dataclass(frozen=True, slots=True)
class BaselineResult:
    text: str
    expect: str
    hits: tuple[str, ...]  # best topics first, as faq/<id> labels


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    in_scope: int
    top1: float  # share of in-scope questions whose first hit is the right topic
    top3: float  # ... whose right topic is among the first three hits
    no_result: float  # share of in-scope questions with no hit at all
    out_of_scope: int
    out_of_scope_with_results: float  # a search shows hits for a question the city cannot answer


def evaluate_baseline(
    index: SearchIndex, cases: Sequence[EvalCase]
) -> tuple[BaselineSummary, list[BaselineResult]]:
    """Run the FAQ and out-of-scope cases of an evaluation file against the search."""
    results = [
        BaselineResult(case.text, case.expect, tuple(f"faq/{topic}" for topic, _ in index.search(case.text)))
        for case in cases
        if case.expect.startswith("faq/") or case.expect == "out_of_scope"
    ]
    faq = [r for r in results if r.expect.startswith("faq/")]
    oos = [r for r in results if r.expect == "out_of_scope"]

    def share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    summary = BaselineSummary(
        in_scope=len(faq),
        top1=share(sum(1 for r in faq if r.hits[:1] == (r.expect,)), len(faq)),
        top3=share(sum(1 for r in faq if r.expect in r.hits), len(faq)),
        no_result=share(sum(1 for r in faq if not r.hits), len(faq)),
        out_of_scope=len(oos),
        out_of_scope_with_results=share(sum(1 for r in oos if r.hits), len(oos)),
    )
    return summary, results
