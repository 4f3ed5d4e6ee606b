"""The plain searches the assistant must beat: BM25 over all of a topic's text, and e5 alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.baseline import Searches, evaluate_baseline
from bot.evaluation import EvalCase
from content import build
from content.embeddings import default_embedder

GOOD = Path(__file__).resolve().parents[1] / "content" / "fixtures" / "good"


@pytest.fixture(scope="module")
def searches(tmp_path_factory: pytest.TempPathFactory) -> Searches:
    out = tmp_path_factory.mktemp("bot")
    build(GOOD, out, today=date(2026, 11, 23))
    return Searches.load(out / "content_index.json", default_embedder())


def test_bm25_ranks_the_topic_whose_text_names_the_words(searches: Searches) -> None:
    assert searches.bm25("Wo bekomme ich einen Reisepass?")[0] == "reisepass"
    assert searches.bm25("Fußballergebnisse von gestern") == ()
    assert searches.bm25("") == ()


def test_e5_finds_topics_across_languages_and_always_answers(searches: Searches) -> None:
    hits = searches.e5(["I need a new passport", "Fußballergebnisse von gestern"])
    assert hits[0][0] == "reisepass"
    assert len(hits[1]) == 3  # a semantic search always returns its nearest topics


def test_evaluation_counts_top1_top3_and_out_of_scope_hits(searches: Searches) -> None:
    cases = [
        EvalCase(text="Reisepass beantragen", expect="faq/reisepass"),
        EvalCase(text="Fußballergebnisse", expect="faq/abfallkalender"),  # no BM25 hit at all
        EvalCase(text="Reisepass", expect="out_of_scope"),  # a search shows hits anyway
        EvalCase(text="Wetter morgen", expect="out_of_scope"),
        EvalCase(text="How do I get a passport?", expect="faq/reisepass", lang="en"),
        EvalCase(text="Bist du ein Mensch?", expect="bot_challenge"),  # not a search question: skipped
    ]
    results = evaluate_baseline(searches, cases)
    bm25, rows = results["bm25"]
    assert len(rows) == 5
    assert (bm25.in_scope, bm25.no_result) == (3, 2 / 3)
    assert bm25.top1_german == 0.5 and bm25.top1_other == 0.0
    assert (bm25.out_of_scope, bm25.out_of_scope_with_results) == (2, 0.5)
    e5, _ = results["e5"]
    assert e5.top1_other == 1.0 and e5.out_of_scope_with_results == 1.0
