"""Fit the retrieval fusion on a dev set: ``rathaus bot tune data/eval/chat-independent/dev.yml``.

The Rasa component (``bot/retrieval/component.py``) adds its raw signals to the parse data when the
assistant runs with ``RATHAUS_RETRIEVAL_SIGNALS=1``. This module collects them for every case of an
evaluation file through Rasa's ``/model/parse`` and fits, on that file alone:

1. the topic weights (semantic, lexical, selector): the grid point with the most in-scope questions whose
   right topic ranks first;
2. the answerability model: a logistic regression (scikit-learn) of "the first topic is the right one"
   (in-scope questions ranked right) against everything else (in-scope questions ranked wrong, and
   out-of-scope questions), one for German and one for the semantic features of other languages;
3. the thresholds of ``decide()`` on that probability: the grid point with the best utility (right
   answers minus twice the wrong ones), printed for ``bot/actions/decide.py``.

It prints the values to put into ``bot/config.yml`` (the component's options). Fit on the dev part
only and report on the test part (docs/bot.md, "Measuring honestly").
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import numpy as np

from bot import BotError
from bot.actions.decide import DEFAULT_THRESHOLDS, Candidate, Thresholds, decide
from bot.evaluation import CaseResult, EvalCase
from bot.retrieval.fusion import (
    DIALOGUE_INTENTS,
    FEATURES,
    FEATURES_OTHER,
    FusionOptions,
    Signals,
    features,
    fuse,
    topic_scores,
)
from bot.retrieval.fusion import in_scope as in_scope_probability

__all__ = ["Sample", "Tuned", "collect", "dump", "fit", "fit_thresholds", "load_samples", "simulate"]


@dataclass(frozen=True)
class Sample:
    """One evaluation case with the component's raw signals for it."""

    case: EvalCase
    signals: Signals


def _signals(parse: dict[str, Any]) -> Signals:
    retrieval = parse.get("retrieval") or {}
    raw = retrieval.get("signals")
    if not isinstance(raw, dict):
        raise BotError("the assistant's parse data has no retrieval signals: start it with "
                       "RATHAUS_RETRIEVAL_SIGNALS=1 (`rathaus bot tune` without --url does)")
    return Signals(
        topic_ids=tuple(raw["topic_ids"]),
        semantic=np.asarray(raw["semantic"], dtype=np.float32),
        lexical=np.asarray(raw["lexical"], dtype=np.float32),
        selector=dict(raw["selector"]),
        diet=dict(raw["diet"]),
        intent_semantic=dict(raw["intent_semantic"]),
        language=str(retrieval.get("language") or "de"),
        quality=str(retrieval.get("quality") or "ok"),
    )


async def collect(base_url: str, cases: Sequence[EvalCase], *, concurrency: int = 4,
                  token: str | None = None) -> list[Sample]:
    """Parse every case with the running assistant and keep its signals (cases' order)."""
    url = base_url.rstrip("/") + "/model/parse" + (f"?token={token}" if token else "")
    semaphore = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def one(case: EvalCase) -> Sample:
            async with semaphore, session.post(url, json={"text": case.text}) as response:
                if response.status != 200:
                    raise BotError(f"{url} answered HTTP {response.status}: {(await response.text())[:200]}")
                return Sample(case, _signals(await response.json(content_type=None)))

        return list(await asyncio.gather(*(one(case) for case in cases)))


@dataclass(frozen=True)
class Tuned:
    options: FusionOptions
    top1: float  # in-scope German questions whose right topic ranks first with these weights
    top1_other: float  # the same for other languages
    in_scope_accuracy: float  # "first topic right or not" classified right at 0.5 (dev, i.e. optimistic)

    def config(self) -> dict[str, Any]:
        o = self.options
        return {"w_semantic": o.w_semantic, "w_lexical": o.w_lexical, "w_selector": o.w_selector,
                "w_lexical_other": o.w_lexical_other,
                "in_scope_de": list(o.in_scope_de), "in_scope_other": list(o.in_scope_other)}


def _top1(samples: Sequence[Sample], options: FusionOptions) -> float:
    if not samples:
        return 0.0
    hits = 0
    for sample in samples:
        scores = topic_scores(sample.signals, options)
        hits += sample.signals.topic_ids[int(np.argmax(scores))] == sample.case.expect.removeprefix("faq/")
    return hits / len(samples)


def _ranked_right(sample: Sample, options: FusionOptions) -> bool:
    """Whether answering the first fused topic would be right (never for an out-of-scope case)."""
    scores = topic_scores(sample.signals, options)
    return sample.signals.topic_ids[int(np.argmax(scores))] == sample.case.expect.removeprefix("faq/")


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    """Bias and coefficients of a logistic regression on standardised features, mapped back to raw ones."""
    from sklearn.linear_model import LogisticRegression  # dev dependency: tuning only

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit((x - mean) / scale, y)
    coef = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (coef * mean).sum())
    return (round(bias, 4), *(round(float(c), 4) for c in coef))


def fit(samples: Sequence[Sample], *, base: FusionOptions | None = None) -> Tuned:
    """Topic weights by grid search, answerability models by logistic regression (see the module docstring)."""
    base = base or FusionOptions()
    usable = [s for s in samples if s.signals.quality == "ok"]
    in_scope = [s for s in usable if s.case.expect.startswith("faq/")]
    german = [s for s in in_scope if s.signals.language == "de"]
    grid = [w / 10 for w in range(0, 11)]
    scored: list[tuple[float, float, FusionOptions]] = []
    for w_sem, w_lex in itertools.product(grid, grid):
        w_sel = round(1.0 - w_sem - w_lex, 2)
        if w_sel < 0:
            continue
        options = FusionOptions(**{**base.__dict__, "w_semantic": w_sem, "w_lexical": w_lex, "w_selector": w_sel})
        scored.append((_top1(german, options), min(w_sem, w_lex, w_sel), options))
    # The accuracy is flat over a wide plateau; among the best points take the most balanced one, so no
    # signal is dropped because of a handful of dev questions.
    top = max(score for score, _, _ in scored)
    best = max((s for s in scored if s[0] >= top - 1e-9), key=lambda s: (s[1], s[2].w_semantic))
    options = best[2]
    # Other languages: the semantic side plus BM25 on the content's keywords in those languages; the
    # smallest weight among the best (a keyword hit breaks near ties, it does not outvote the meaning).
    others = [s for s in in_scope if s.signals.language != "de"]
    if others:
        candidates = [FusionOptions(**{**options.__dict__, "w_lexical_other": w / 20}) for w in range(0, 11)]
        top1 = [_top1(others, o) for o in candidates]
        options = candidates[top1.index(max(top1))]  # the first, i.e. smallest, of the best

    labelled = [s for s in usable if s.case.expect.startswith("faq/") or s.case.expect == "out_of_scope"]
    de = [s for s in labelled if s.signals.language == "de"]
    x_de = np.array([[features(s.signals, options)[n] for n in FEATURES] for s in de])
    y_de = np.array([_ranked_right(s, options) for s in de], dtype=int)
    coef_de = _logistic(x_de, y_de) if len(set(y_de)) == 2 else options.in_scope_de
    # Other languages: only in-scope examples exist in the dev set, so the negative side also takes
    # the German out-of-scope cases' semantic features (the semantic model is multilingual).
    other = [s for s in labelled if s.signals.language != "de" and s.case.expect.startswith("faq/")]
    oos_de = [s for s in de if s.case.expect == "out_of_scope"]
    if other and oos_de:
        pool = other + oos_de
        x_o = np.array([[features(s.signals, options)[n] for n in FEATURES_OTHER] for s in pool])
        y_o = np.array([_ranked_right(s, options) for s in pool], dtype=int)
        coef_other = _logistic(x_o, y_o) if len(set(y_o)) == 2 else options.in_scope_other
    else:
        coef_other = options.in_scope_other
    options = FusionOptions(**{**options.__dict__, "in_scope_de": tuple(coef_de),
                               "in_scope_other": tuple(coef_other)})
    right = sum((in_scope_probability(s.signals, options) >= 0.5) == _ranked_right(s, options) for s in labelled)
    return Tuned(options, best[0], _top1(others, options), right / len(labelled) if labelled else 0.0)


def simulate(samples: Sequence[Sample], options: FusionOptions, thresholds: Thresholds = DEFAULT_THRESHOLDS,
             ) -> list[CaseResult]:
    """What the assistant would answer for each sample with these options: the component's fusion, then
    the rules (dialogue intents, ``out_of_scope`` declines) and ``decide()`` as the action server runs it."""
    results = []
    for sample in samples:
        verdict = fuse(sample.signals, options)
        ranking = tuple(Candidate(t, s) for t, s in verdict.topics[:5])
        if verdict.intent in DIALOGUE_INTENTS:
            got = verdict.intent
        elif verdict.intent == "out_of_scope":
            got = "out_of_scope"
        else:
            decision = decide(intent=verdict.intent, in_scope=verdict.in_scope, ranking=ranking,
                              thresholds=thresholds, language=sample.signals.language)
            got = {"answer": f"faq/{decision.topic}", "clarify": "clarify"}.get(decision.kind, "out_of_scope")
        results.append(CaseResult(sample.case.text, sample.case.expect, got, None,
                                  tuple(f"faq/{c.topic}" for c in ranking[:3]), sample.case.lang, sample.case.tags))
    return results


def _utility(results: Sequence[CaseResult], wrong_cost: float = 2.0) -> float:
    """Right answers minus ``wrong_cost`` per confident wrong answer (a wrong topic, or a topic for a
    question the city cannot answer); "Meinten Sie" and declines cost nothing but earn nothing. The cost
    2 was chosen by cross-validation on the dev parts (docs/bot.md)."""
    right = sum(r.got == r.expect and r.got.startswith("faq/") for r in results)
    wrong = sum(r.got.startswith("faq/") and r.got != r.expect for r in results)
    return right - wrong_cost * wrong


def fit_thresholds(samples: Sequence[Sample], options: FusionOptions,
                   base: Thresholds = DEFAULT_THRESHOLDS, *, max_declined: float = 0.02) -> Thresholds:
    """``answer`` (German) and ``answer_other`` by grid search on :func:`_utility`; then ``clarify``, the
    highest value at which at most ``max_declined`` of the in-scope questions are declined ("Meinten Sie"
    and a decline both earn nothing, but a decline leaves an in-scope citizen without a way on)."""
    german = [s for s in samples if s.signals.language == "de"]
    other = [s for s in samples if s.signals.language != "de"]
    answers = [round(0.05 * i, 2) for i in range(4, 20)]
    # Ties (the utility is flat over a wide range) go to the most cautious value.
    best = max(answers, key=lambda a: (_utility(simulate(german, options, replace(base, answer=a, clarify=a))), a))
    tuned = replace(base, answer=best, clarify=best)
    if other:
        best_other = max(answers, key=lambda a: (
            _utility(simulate(other, options, replace(tuned, answer_other=a, clarify=min(a, best)))), a))
        tuned = replace(tuned, answer_other=best_other)
    in_scope = [s for s in samples if s.case.expect.startswith("faq/")]
    for clarify in sorted({round(0.05 * i, 2) for i in range(1, 20)} | {tuned.answer}, reverse=True):
        if clarify > min(tuned.answer, tuned.answer_other):
            continue
        results = simulate(in_scope, options, replace(tuned, clarify=clarify))
        if sum(r.got == "out_of_scope" for r in results) <= max_declined * max(len(results), 1):
            return replace(tuned, clarify=clarify)
    return replace(tuned, clarify=0.05)


def dump(samples: Sequence[Sample]) -> str:
    """The samples as JSON lines, raw signals included (``load_samples`` reads them back)."""
    lines = []
    for s in samples:
        g = s.signals
        lines.append(json.dumps({
            "case": s.case.model_dump(mode="json"),
            "signals": {"topic_ids": list(g.topic_ids), "semantic": [round(float(v), 5) for v in g.semantic],
                        "lexical": [round(float(v), 5) for v in g.lexical], "selector": dict(g.selector),
                        "diet": dict(g.diet), "intent_semantic": dict(g.intent_semantic),
                        "language": g.language, "quality": g.quality},
        }, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def load_samples(text: str) -> list[Sample]:
    """Samples from :func:`dump`'s JSON lines, to fit again without a running assistant."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        raw = row["signals"]
        out.append(Sample(EvalCase.model_validate(row["case"]), Signals(
            topic_ids=tuple(raw["topic_ids"]), semantic=np.asarray(raw["semantic"], dtype=np.float32),
            lexical=np.asarray(raw["lexical"], dtype=np.float32), selector=raw["selector"], diet=raw["diet"],
            intent_semantic=raw["intent_semantic"], language=raw["language"], quality=raw["quality"])))
    return out
