"""``ContentRetriever``: the Rasa 3.6 graph component that scores every message against the content.

Runs after DIET and the ResponseSelector (bot/config.yml) and replaces the top-level intent and the
intent ranking with the fused ones (``fusion.py``); the full verdict goes to the parse data as
``retrieval`` for the action server's ``decide()``:

    {"version": 1, "intent": "faq", "in_scope": 0.93, "language": "de", "quality": "ok",
     "reason": "in_scope", "diet_intent": "out_of_scope",
     "topics": [{"topic": "sperrmuell", "score": 0.81}, ...]}          (best five)

Training embeds the examples of the non-FAQ intents (greet, bot_challenge, out_of_scope ...) and
stores them in the model; the content's vectors come from ``rathaus content build`` and are loaded at
start from ``$RATHAUS_CONTENT_INDEX`` (default ``generated/content_index.json`` in the working directory), so
the content is per deployment while the model is not. Several cities: the message's metadata names the
city (``{"city": "beispielhausen"}``, set by the gateway) and its index is used (``cities.py``); the
verdict then carries ``"city"``. The only module of the package that imports rasa.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from .cities import CityRetrievers, message_city
from .embedder import MODEL_ID, Embedder
from .fusion import FAQ, FusionOptions
from .index import Grouped
from .retriever import Retriever

logger = logging.getLogger(__name__)

ENV_INDEX = "RATHAUS_CONTENT_INDEX"
ENV_SIGNALS = "RATHAUS_RETRIEVAL_SIGNALS"  # "1": add the raw signals to the parse data (tuning only)
_INTENT_FILE = "intent_examples.json"
_INTENT_VECTORS = "intent_vectors.npy"
_SKIP_INTENTS = {FAQ, "choose_topic"}
TOP_TOPICS = 5


def _ranking(message: Message, key: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for entry in message.get(key) or []:
        name = entry.get("name")
        if name:
            out[str(name)] = float(entry.get("confidence") or 0.0)
    return out


def _selector(message: Message) -> dict[str, float]:
    block = (message.get("response_selector") or {}).get(FAQ) or {}
    out: dict[str, float] = {}
    for entry in block.get("ranking") or []:
        _, _, topic = str(entry.get("intent_response_key") or "").partition("/")
        if topic:
            out[topic] = float(entry.get("confidence") or 0.0)
    return out


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ContentRetriever(GraphComponent):
    """Semantic + lexical retrieval fused with DIET and the ResponseSelector (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The fusion's defaults stay in FusionOptions (read at load, not frozen into the trained model);
        # bot/config.yml may override any of its fields by name.
        return {"threads": 1}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 intents: Grouped | None = None) -> None:
        self._storage = model_storage
        self._resource = resource
        values: dict[str, Any] = {
            f.name: (tuple(config[f.name]) if isinstance(config.get(f.name), list) else config[f.name])
            for f in dataclasses.fields(FusionOptions) if f.name in config
        }
        options = FusionOptions(**values)
        self._retriever = Retriever(Path(os.environ.get(ENV_INDEX) or "generated/content_index.json"),
                                    Embedder(threads=int(config.get("threads") or 1)),
                                    intents=intents, options=options)
        self._cities = CityRetrievers(self._retriever)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ContentRetriever:
        return cls(config, model_storage, resource)

    # -- training ------------------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        # `rasa train` is its own process: embed the examples with every core (4.5 s instead of 7.8 s for
        # ~370 examples on two idle cores); serving keeps the configured `threads`.
        self._retriever.embedder.threads = max(1, os.cpu_count() or 1)
        examples = [
            (str(m.get("intent")), str(m.get("text")))
            for m in training_data.intent_examples
            if m.get("intent") and str(m.get("intent")).split("/")[0] not in _SKIP_INTENTS and m.get("text")
        ]
        grouped = self._retriever.embed_intents(examples)
        with self._storage.write_to(self._resource) as folder:
            labels = [grouped.labels[i] for i in grouped.row_label]
            Path(folder, _INTENT_FILE).write_text(json.dumps({"model": MODEL_ID, "labels": labels}, ensure_ascii=False))
            np.save(Path(folder, _INTENT_VECTORS), grouped.vectors.astype(np.float16))
        logger.info("retrieval.intents.embedded examples=%d", len(examples))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ContentRetriever:
        intents: Grouped | None = None
        try:
            with model_storage.read_from(resource) as folder:
                meta = json.loads(Path(folder, _INTENT_FILE).read_text(encoding="utf-8"))
                matrix = np.load(Path(folder, _INTENT_VECTORS)).astype(np.float32)
            if meta.get("model") != MODEL_ID:
                raise RuntimeError(f"the model's intent vectors were made by {meta.get('model')!r}, this "
                                   f"environment embeds with {MODEL_ID!r}: retrain (`rathaus bot train --force`)")
            intents = Grouped.build([(label, matrix[i]) for i, label in enumerate(meta["labels"])])
        except (ValueError, FileNotFoundError, KeyError) as exc:
            logger.warning("retrieval.intents.missing error=%s", exc)
        component = cls(config, model_storage, resource, intents)
        # Fail at start, with the fix in the message, rather than on every citizen's first question.
        component._cities.load_all()
        return component

    # -- inference -----------------------------------------------------------------------------------

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not message.get("text"):
                continue
            city = message_city(message.get("metadata"))
            signals, verdict = self._cities.for_city(city).verdict(
                str(message.get("text")), diet=_ranking(message, "intent_ranking"), selector=_selector(message))
            diet_intent = (message.get("intent") or {}).get("name")
            ranking = [{"name": name, "confidence": round(conf, 4)} for name, conf in verdict.intent_ranking]
            message.set("intent", {"name": verdict.intent, "confidence": round(verdict.confidence, 4)},
                        add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            result: dict[str, Any] = {
                "version": 1,
                "intent": verdict.intent,
                "in_scope": round(verdict.in_scope, 4),
                "language": signals.language,
                "quality": signals.quality,
                "reason": verdict.reason,
                "diet_intent": diet_intent,
                "topics": [{"topic": t, "score": s} for t, s in verdict.topics[:TOP_TOPICS]],
            }
            if city is not None:
                result["city"] = city
            if os.environ.get(ENV_SIGNALS) == "1":
                result["signals"] = {
                    "semantic": [round(float(v), 4) for v in signals.semantic],
                    "lexical": [round(float(v), 4) for v in signals.lexical],
                    "topic_ids": list(signals.topic_ids),
                    "selector": signals.selector,
                    "diet": signals.diet,
                    "intent_semantic": signals.intent_semantic,
                }
            message.set("retrieval", result, add_to_output=True)
        return messages
