"""Fitting the fusion on a dev set (pure: hand-made signals, scikit-learn's logistic regression)."""

from __future__ import annotations

import numpy as np

from bot.evaluation import EvalCase
from bot.retrieval.fusion import FEATURES, FEATURES_OTHER, Signals, fuse
from bot.tune import Sample, dump, fit, fit_thresholds, load_samples, simulate

TOPICS = ("a", "b", "c")


def _sample(expect: str, semantic: tuple[float, float, float], *, selector: float, lang: str = "de",
            oos: float = 0.84) -> Sample:
    best = TOPICS[int(np.argmax(semantic))]
    signals = Signals(
        topic_ids=TOPICS, semantic=np.array(semantic, dtype=np.float32),
        lexical=np.array([2.0 if t == best and expect != "out_of_scope" else 0.0 for t in TOPICS], dtype=np.float32),
        selector={t: (selector if t == best else 0.05) for t in TOPICS},
        diet={"faq": 0.3, "out_of_scope": 0.7} if expect == "out_of_scope" else {"faq": 0.9, "out_of_scope": 0.1},
        intent_semantic={"out_of_scope": oos, "bot_challenge": 0.8}, language=lang)
    return Sample(EvalCase(text=f"{expect} {semantic}", expect=expect, lang=lang), signals)


def _dev() -> list[Sample]:
    rng = np.random.default_rng(7)
    samples = []
    for i in range(60):
        topic = TOPICS[i % 3]
        sem = [0.8 + rng.uniform(0, 0.03)] * 3
        sem[TOPICS.index(topic)] = 0.9 + rng.uniform(0, 0.05)
        samples.append(_sample(f"faq/{topic}", tuple(sem), selector=0.5 + rng.uniform(0, 0.3)))
    for _ in range(30):
        sem = tuple(0.8 + rng.uniform(0, 0.04) for _ in TOPICS)
        samples.append(_sample("out_of_scope", sem, selector=0.1 + rng.uniform(0, 0.1), oos=0.86))
    for i in range(12):
        sem = [0.8] * 3
        sem[i % 3] = 0.88
        samples.append(_sample(f"faq/{TOPICS[i % 3]}", tuple(sem), selector=0.05, lang="en", oos=0.8))
    return samples


def test_fit_separates_in_and_out_of_scope_and_ranks_right() -> None:
    samples = _dev()
    tuned = fit(samples)
    assert tuned.top1 == 1.0 and tuned.top1_other == 1.0
    assert tuned.in_scope_accuracy >= 0.95
    assert len(tuned.options.in_scope_de) == len(FEATURES) + 1
    assert len(tuned.options.in_scope_other) == len(FEATURES_OTHER) + 1
    verdicts = [fuse(s.signals, tuned.options).intent for s in samples]
    assert verdicts.count("out_of_scope") >= 28


def test_thresholds_and_simulation_answer_the_right_topics() -> None:
    samples = _dev()
    tuned = fit(samples)
    thresholds = fit_thresholds(samples, tuned.options)
    results = simulate(samples, tuned.options, thresholds)
    in_scope = [r for r in results if r.expect.startswith("faq/")]
    assert sum(r.got == r.expect for r in in_scope) / len(in_scope) >= 0.9
    assert not any(r.got.startswith("faq/") for r in results if r.expect == "out_of_scope")


def test_samples_survive_a_round_trip_through_json_lines() -> None:
    samples = _dev()[:5]
    again = load_samples(dump(samples))
    assert [s.case for s in again] == [s.case for s in samples]
    assert np.allclose(again[0].signals.semantic, samples[0].signals.semantic, atol=1e-4)
