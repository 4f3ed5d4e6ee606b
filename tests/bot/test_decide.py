"""The answer/clarify/decline decision on the retrieval's answerability probability (pure, no Rasa)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.actions.decide import Candidate, Thresholds, decide, faq_ranking, intent_confidence, read_verdict

T = Thresholds(answer=0.5, answer_other=0.4, gap=0.05, clarify=0.3, window=0.1)


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


def test_verdict_is_read_from_the_retrieval_block() -> None:
    data = {**_parse([("reisepass", 0.9)]), "retrieval": {
        "in_scope": 0.8, "language": "en", "quality": "ok",
        "topics": [{"topic": "sperrmuell", "score": 0.7}, {"topic": "wertstoffhof", "score": "x"}, "junk"]}}
    verdict = read_verdict(data)
    assert verdict.ranking == (Candidate("sperrmuell", 0.7),)
    assert (verdict.in_scope, verdict.language, verdict.intent) == (0.8, "en", "faq")


def test_verdict_without_the_component_uses_the_response_selector() -> None:
    """RasaHQ/rasa#9723: DIET's faq confidence says nothing about the topic, so the probability of a
    right answer is faq confidence times the ResponseSelector's best."""
    verdict = read_verdict(_parse([("reisepass", 0.9)]))
    assert verdict.ranking == (Candidate("reisepass", 0.9),)
    assert abs(verdict.in_scope - 0.99 * 0.9) < 1e-9
    weak = read_verdict(_parse([("a", 0.2), ("b", 0.19)]))
    assert decide(intent="faq", in_scope=weak.in_scope, ranking=weak.ranking, thresholds=T).kind == "out_of_scope"


def test_a_probable_answer_answers_the_best_topic() -> None:
    d = decide(intent="faq", in_scope=0.9, ranking=[Candidate("b", 0.1), Candidate("a", 0.8)], thresholds=T)
    assert (d.kind, d.topic, d.confidence) == ("answer", "a", 0.9)


def test_unsure_offers_topics_and_improbable_declines() -> None:
    ranking = [Candidate("a", 0.8), Candidate("b", 0.75)]
    assert decide(intent="faq", in_scope=0.35, ranking=ranking, thresholds=T).kind == "clarify"
    assert decide(intent="faq", in_scope=0.1, ranking=ranking, thresholds=T).kind == "out_of_scope"


def test_other_languages_have_their_own_answer_threshold() -> None:
    ranking = [Candidate("a", 0.8), Candidate("b", 0.2)]
    assert decide(intent="faq", in_scope=0.45, ranking=ranking, thresholds=T, language="en").kind == "answer"
    assert decide(intent="faq", in_scope=0.45, ranking=ranking, thresholds=T, language="de").kind == "clarify"


def test_close_topics_are_offered_up_to_three() -> None:
    ranking = [Candidate("a", 0.55), Candidate("b", 0.5), Candidate("c", 0.46), Candidate("d", 0.45)]
    d = decide(intent="faq", in_scope=0.4, ranking=ranking, thresholds=T)
    assert d.kind == "clarify"
    assert [o.topic for o in d.options] == ["a", "b", "c"]


def test_a_lone_close_topic_is_offered_with_the_runner_up() -> None:
    d = decide(intent="faq", in_scope=0.4, ranking=[Candidate("a", 0.45), Candidate("b", 0.2)], thresholds=T)
    assert d.kind == "clarify"
    assert [o.topic for o in d.options] == ["a", "b"]


def test_unknown_topics_are_ignored() -> None:
    ranking = [Candidate("removed", 0.9), Candidate("b", 0.7)]
    d = decide(intent="faq", in_scope=0.9, ranking=ranking, known_topics=frozenset({"b"}), thresholds=T)
    assert (d.kind, d.topic) == ("answer", "b")


def test_out_of_scope_intent_never_answers_and_offers_only_on_real_evidence() -> None:
    strong = [Candidate("a", 0.95), Candidate("b", 0.01)]
    assert decide(intent="out_of_scope", in_scope=0.9, ranking=strong, thresholds=T).kind == "clarify"
    assert decide(intent="out_of_scope", in_scope=0.1, ranking=strong, thresholds=T).kind == "out_of_scope"
    assert decide(intent="nlu_fallback", in_scope=0.45, ranking=strong, thresholds=T).kind == "clarify"


def test_empty_ranking_declines() -> None:
    assert decide(intent="faq", in_scope=1.0, ranking=[], thresholds=T).kind == "out_of_scope"


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.floats(0, 1)), max_size=6),
       st.sampled_from(["faq", "nlu_fallback", "out_of_scope", None]), st.floats(0, 1),
       st.sampled_from(["de", "en"]))
def test_an_answer_is_always_the_best_topic_above_threshold(pairs, intent, in_scope, language) -> None:
    ranking = [Candidate(t, c) for t, c in pairs]
    d = decide(intent=intent, in_scope=in_scope, ranking=ranking, thresholds=T, language=language)
    if d.kind == "answer":
        best = max(ranking, key=lambda c: c.confidence)
        assert intent != "out_of_scope"
        assert d.topic in {c.topic for c in ranking if c.confidence == best.confidence}
        assert in_scope >= (T.answer if language == "de" else T.answer_other)
    if d.kind == "clarify":
        assert in_scope >= T.clarify
        assert 2 <= len(d.options) <= 3 or len(ranking) == 1


def test_a_near_tie_in_german_is_asked_back() -> None:
    tie = [Candidate("personalausweis", 0.81), Candidate("reisepass", 0.8)]
    assert decide(intent="faq", in_scope=0.9, ranking=tie, thresholds=T).kind == "clarify"
    assert decide(intent="faq", in_scope=0.9, ranking=tie, thresholds=T, language="en").kind == "answer"


def test_a_city_fact_needs_the_stricter_threshold() -> None:
    ranking = (Candidate("stadt_einwohner", 0.7), Candidate("wohngeld", 0.3))
    facts = frozenset({"stadt_einwohner"})
    # sure enough for a topic, not for a fact: asked back instead of answered
    unsure = decide(intent="faq", in_scope=0.8, ranking=ranking, fact_topics=facts)
    assert unsure.kind == "clarify"
    assert decide(intent="faq", in_scope=0.8, ranking=ranking).kind == "answer"
    sure = decide(intent="faq", in_scope=0.95, ranking=ranking, fact_topics=facts)
    assert (sure.kind, sure.topic) == ("answer", "stadt_einwohner")
