"""The bar the assistant has to clear: the strongest simple searches over the same content.

Berlin's rule-based chatbot was switched off because it was "hardly better than the site search"
(shared lesson, docs/bot.md). ``rathaus bot baseline`` runs an evaluation file against two plain
searches, side by side, so the assistant's numbers from ``rathaus bot eval`` have something to beat:

``bm25``
    Okapi BM25 (``bm25s``) over *all* of a topic's text: title, phrasings, keywords, answer,
    documents, fees and office, one document per topic.
``e5``
    the semantic half of the assistant's retrieval alone: per topic, the mean of the three highest
    cosines between the question and the topic's title, phrasings and keywords (multilingual e5).

Both use the same code as the assistant's retrieval (``bot.retrieval``) on the built content index,
so they are the assistant's own signals without the fusion and without DIET and the ResponseSelector.
A search always returns hits, so only BM25 can "decline" (no word of the question occurs anywhere).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.evaluation import EvalCase
from bot.retrieval.index import ContentRetrievalIndex, Lexical, load_content

__all__ = ["BaselineResult", "BaselineSummary", "Searches", "evaluate_baseline"]


@dataclass(frozen=True)
class Searches:
    """The two plain searches over one built content index."""

    index: ContentRetrievalIndex
    lexical: Lexical
    embed: Callable[[Sequence[str]], np.ndarray]

    @classmethod
    def load(cls, index_path: Path, embed: Callable[[Sequence[str]], np.ndarray]) -> Searches:
        index = load_content(index_path)
        return cls(index, Lexical(index.topic_ids, index.documents), embed)

    def bm25(self, text: str, *, limit: int = 3) -> tuple[str, ...]:
        scores = self.lexical.scores(text)
        order = np.argsort(-scores, kind="stable")
        return tuple(self.index.topic_ids[i] for i in order[:limit] if scores[i] > 0)

    def e5(self, texts: Sequence[str], *, limit: int = 3) -> list[tuple[str, ...]]:
        queries = self.embed(list(texts))
        out = []
        for query in queries:
            scores = self.index.vectors.top_k_mean(query)
            order = np.argsort(-scores, kind="stable")
            out.append(tuple(self.index.topic_ids[i] for i in order[:limit]))
        return out


@dataclass(frozen=True, slots=True)
class BaselineResult:
    text: str
    expect: str
    lang: str
    hits: tuple[str, ...]  # best topics first, as faq/<id> labels


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    name: str
    in_scope: int
    top1: float  # share of in-scope questions whose first hit is the right topic
    top3: float  # ... whose right topic is among the first three hits
    top1_german: float  # the same for German questions only
    top1_other: float  # ... and for questions in other languages
    no_result: float  # share of in-scope questions with no hit at all
    out_of_scope: int
    out_of_scope_with_results: float  # a search shows hits for a question the city cannot answer


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _summarise(name: str, results: Sequence[BaselineResult]) -> BaselineSummary:
    faq = [r for r in results if r.expect.startswith("faq/")]
    german = [r for r in faq if r.lang == "de"]
    other = [r for r in faq if r.lang != "de"]
    oos = [r for r in results if r.expect == "out_of_scope"]

    def top1(rows: Sequence[BaselineResult]) -> float:
        return _share(sum(1 for r in rows if r.hits[:1] == (r.expect,)), len(rows))

    return BaselineSummary(
        name=name,
        in_scope=len(faq),
        top1=top1(faq),
        top3=_share(sum(1 for r in faq if r.expect in r.hits), len(faq)),
        top1_german=top1(german),
        top1_other=top1(other),
        no_result=_share(sum(1 for r in faq if not r.hits), len(faq)),
        out_of_scope=len(oos),
        out_of_scope_with_results=_share(sum(1 for r in oos if r.hits), len(oos)),
    )


def evaluate_baseline(searches: Searches, cases: Sequence[EvalCase]) -> dict[str, tuple[BaselineSummary,
                                                                                      list[BaselineResult]]]:
    """Run the FAQ and out-of-scope cases of an evaluation file against both searches."""
    relevant = [c for c in cases if c.expect.startswith("faq/") or c.expect == "out_of_scope"]
    bm25 = [BaselineResult(c.text, c.expect, c.lang, tuple(f"faq/{t}" for t in searches.bm25(c.text)))
            for c in relevant]
    e5_hits = searches.e5([c.text for c in relevant])
    e5 = [BaselineResult(c.text, c.expect, c.lang, tuple(f"faq/{t}" for t in hits))
          for c, hits in zip(relevant, e5_hits, strict=True)]
    return {"bm25": (_summarise("bm25", bm25), bm25), "e5": (_summarise("e5", e5), e5)}
