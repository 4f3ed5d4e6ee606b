"""The answer/clarify/decline decision over the ResponseSelector's ranking (pure, no Rasa)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.actions.decide import Candidate, Thresholds, decide, faq_ranking, intent_confidence

T = Thresholds(answer=0.5, gap=0.2, clarify=0.2, fallback_answer=0.8, fallback_faq=0.2)


def _parse(ranking: list[tuple[str, float]], *, key: str = "faq") -> dict:
    return {
        "intent": {"name": "faq", "confidence": 0.99},
        "intent_ranking": [{"name": "faq", "confidence": 0.99}, {"name": "out_of_scope", "confidence": 0.01}],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            key: {"ranking": [{"id": i, "confidence": c, "intent_response_key": f"faq/{t}",
                               "utter_action": f"utter_faq/{t}"} for i, (t, c) in enumerate(ranking)]},
        },
    }


def test_ranking_is_read_from_the_response_selector_sorted() -> None:
    ranking = faq_ranking(_parse([("reisepass", 0.2), ("personalausweis", 0.7)]))
    assert ranking == (Candidate("personalausweis", 0.7), Candidate("reisepass", 0.2))


def test_ranking_falls_back_to_the_default_key() -> None:
    assert faq_ranking(_parse([("hundesteuer", 0.9)], key="default"))[0].topic == "hundesteuer"


def test_ranking_of_junk_parse_data_is_empty() -> None:
    assert faq_ranking({}) == ()
    assert faq_ranking({"response_selector": "x"}) == ()
    assert faq_ranking({"response_selector": {"faq": {"ranking": [1, {"confidence": "a"}]}}}) == ()


def test_intent_confidence() -> None:
    data = _parse([])
    assert intent_confidence(data, "faq") == 0.99
    assert intent_confidence(data, "greet") == 0.0


def test_confident_and_clear_lead_answers() -> None:
    d = decide(intent="faq", faq_confidence=0.99, ranking=[Candidate("a", 0.8), Candidate("b", 0.1)], thresholds=T)
    assert (d.kind, d.topic) == ("answer", "a")


def test_high_top_level_faq_but_weak_topic_does_not_answer() -> None:
    """RasaHQ/rasa#9723: faq 0.99 at the top level, best topic 0.1 -> never a confident wrong answer."""
    d = decide(intent="faq", faq_confidence=0.99, ranking=[Candidate("a", 0.1), Candidate("b", 0.09)], thresholds=T)
    assert d.kind == "out_of_scope"


def test_small_gap_asks_which_topic_with_the_two_best() -> None:
    ranking = [Candidate("a", 0.55), Candidate("b", 0.4), Candidate("c", 0.05)]
    d = decide(intent="faq", faq_confidence=0.9, ranking=ranking, thresholds=T)
    assert d.kind == "clarify"
    assert [o.topic for o in d.options] == ["a", "b"]


def test_unknown_topics_are_ignored() -> None:
    ranking = [Candidate("removed", 0.9), Candidate("b", 0.7)]
    d = decide(intent="faq", faq_confidence=0.9, ranking=ranking, known_topics=frozenset({"b"}), thresholds=T)
    assert (d.kind, d.topic) == ("answer", "b")


def test_nlu_fallback_is_stricter() -> None:
    ranking = [Candidate("a", 0.7), Candidate("b", 0.1)]
    assert decide(intent="nlu_fallback", faq_confidence=0.4, ranking=ranking, thresholds=T).kind == "clarify"
    assert decide(intent="nlu_fallback", faq_confidence=0.05, ranking=ranking, thresholds=T).kind == "out_of_scope"
    strong = [Candidate("a", 0.95), Candidate("b", 0.01)]
    assert decide(intent="nlu_fallback", faq_confidence=0.4, ranking=strong, thresholds=T).kind == "answer"


def test_empty_ranking_declines() -> None:
    assert decide(intent="faq", faq_confidence=1.0, ranking=[], thresholds=T).kind == "out_of_scope"


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.floats(0, 1)), max_size=6),
       st.sampled_from(["faq", "nlu_fallback", None]), st.floats(0, 1))
def test_an_answer_is_always_the_best_topic_above_threshold(pairs, intent, faq_conf) -> None:
    ranking = [Candidate(t, c) for t, c in pairs]
    d = decide(intent=intent, faq_confidence=faq_conf, ranking=ranking, thresholds=T)
    if d.kind == "answer":
        best = max(ranking, key=lambda c: c.confidence)
        assert d.confidence == best.confidence >= T.answer
    if d.kind == "clarify":
        assert 1 <= len(d.options) <= 2
