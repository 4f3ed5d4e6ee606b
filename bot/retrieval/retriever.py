"""The retrieval without Rasa: one message in, the signals and the fused verdict out.

``component.py`` is the thin Rasa shell around :class:`Retriever`: it hands over the message text and
DIET's and the ResponseSelector's rankings and writes the verdict into the parse data. Keeping the work
here lets the services' tests run it with the real model and a built content index, without Rasa.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from .embedder import MODEL_ID, Embedder
from .fusion import Fused, FusionOptions, Signals, fuse
from .index import ContentRetrievalIndex, Grouped, Lexical, load_content
from .text import assess, detect_language

__all__ = ["MAX_CHARS", "Retriever"]

logger = logging.getLogger(__name__)

MAX_CHARS = 2000  # longer messages are embedded by their start: a question is rarely longer


class Retriever:
    """Scores messages against a built content index (reloaded when the file changes)."""

    def __init__(self, index_path: Path, embedder: Embedder, *, intents: Grouped | None = None,
                 options: FusionOptions | None = None) -> None:
        self.index_path = Path(index_path)
        self.embedder = embedder
        self.intents = intents
        self.options = options or FusionOptions()
        self._content: ContentRetrievalIndex | None = None
        self._lexical: Lexical | None = None
        self._mtime = -1.0
        self._lock = threading.Lock()

    def embed_intents(self, examples: Sequence[tuple[str, str]]) -> Grouped:
        """The examples of the non-FAQ intents as ``(intent, text)``, embedded and grouped by intent."""
        vectors = self.embedder.embed([text for _, text in examples])
        return Grouped.build([(label, vectors[i]) for i, (label, _) in enumerate(examples)])

    def content(self) -> tuple[ContentRetrievalIndex, Lexical]:
        """The content's vectors and BM25 index; a new build is picked up without a restart."""
        with self._lock:
            mtime = self.index_path.stat().st_mtime if self.index_path.exists() else -1.0
            if self._content is None or self._lexical is None or mtime != self._mtime:
                self._content = load_content(self.index_path, model=MODEL_ID)
                self._lexical = Lexical(self._content.topic_ids, self._content.documents)
                self._mtime = mtime
                logger.info("retrieval.content.loaded topics=%d rows=%d", len(self._content.topic_ids),
                            self._content.vectors.vectors.shape[0])
            return self._content, self._lexical

    def signals(self, text: str, *, diet: Mapping[str, float], selector: Mapping[str, float]) -> Signals:
        content, lexical = self.content()
        quality = assess(text)
        query = self.embedder.embed_one(text[:MAX_CHARS] if quality.answerable else "")
        intent_semantic: dict[str, float] = {}
        if self.intents is not None and self.intents.labels:
            sims = self.intents.top_k_mean(query)
            intent_semantic = {label: float(sims[i]) for i, label in enumerate(self.intents.labels)}
        return Signals(
            topic_ids=content.topic_ids,
            semantic=content.vectors.top_k_mean(query),
            lexical=lexical.scores(text[:MAX_CHARS]),
            selector=dict(selector),
            diet=dict(diet),
            intent_semantic=intent_semantic,
            language=detect_language(text),
            quality=quality.quality,
        )

    def verdict(self, text: str, *, diet: Mapping[str, float], selector: Mapping[str, float]) -> tuple[Signals, Fused]:
        signals = self.signals(text, diet=diet, selector=selector)
        return signals, fuse(signals, self.options)
