"""The site-search baseline: BM25 over the topics' pages (no training phrasings), scored like the bot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.baseline import SearchIndex, evaluate_baseline
from bot.evaluation import EvalCase
from content import load_content

GOOD = Path(__file__).resolve().parents[1] / "content" / "fixtures" / "good"


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.from_content(load_content(GOOD, today=date(2026, 11, 23)))


def test_search_ranks_the_topic_whose_page_names_the_words(index: SearchIndex) -> None:
    hits = index.search("Wo bekomme ich einen Reisepass?")
    assert hits[0][0] == "reisepass"
    scores = [score for _, score in hits]
    assert all(score > 0 for score in scores) and scores == sorted(scores, reverse=True)
    assert len({topic for topic, _ in hits}) == len(hits)


def test_words_the_pages_never_use_find_nothing(index: SearchIndex) -> None:
    assert index.search("Fußballergebnisse von gestern") == []
    assert index.search("") == []


def test_evaluation_counts_top1_top3_and_out_of_scope_hits(index: SearchIndex) -> None:
    cases = [
        EvalCase(text="Reisepass beantragen", expect="faq/reisepass"),
        EvalCase(text="Fußballergebnisse", expect="faq/abfallkalender"),  # no hit at all
        EvalCase(text="Reisepass", expect="out_of_scope"),  # a search shows hits anyway
        EvalCase(text="Wetter morgen", expect="out_of_scope"),
        EvalCase(text="Bist du ein Mensch?", expect="bot_challenge"),  # not a search question: skipped
    ]
    summary, results = evaluate_baseline(index, cases)
    assert len(results) == 4
    assert (summary.in_scope, summary.top1, summary.top3, summary.no_result) == (2, 0.5, 0.5, 0.5)
    assert (summary.out_of_scope, summary.out_of_scope_with_results) == (2, 0.5)
    assert results[0].hits[0] == "faq/reisepass"
