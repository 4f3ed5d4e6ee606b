"""Settings of the live subtitle service, from the environment (prefix ``RATHAUS_ASR_``) or a ``.env``.

Operators configure the service here; the components get their options objects from
:meth:`AsrSettings.model_options`, :meth:`AsrSettings.stream_options` and :meth:`AsrSettings.cue_options`.

Examples::

    RATHAUS_ASR_INGEST_TOKEN=...            # required to accept ingest connections
    RATHAUS_ASR_BROKER_URL=redis://127.0.0.1:6379/0
    RATHAUS_ASR_MODEL=large-v3-turbo RATHAUS_ASR_DEVICE=cuda RATHAUS_ASR_COMPUTE_TYPE=float16
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asr.options import CueOptions, Device, ModelOptions, StreamOptions
from rathaus.auth import check_token_strength

__all__ = ["AsrSettings", "load_hotwords"]

log = logging.getLogger(__name__)


class AsrSettings(BaseSettings):
    """Everything the live service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="RATHAUS_ASR_", env_file=".env", extra="ignore")

    # ingest server
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    ingest_token: SecretStr | None = None
    # /metrics on the ingest port: off unless set, then `Authorization: Bearer <token>` (rathaus/metrics_access.py)
    metrics_token: SecretStr | None = None
    max_frame_bytes: int = Field(default=1 << 20, ge=1024, description="largest accepted WebSocket frame")
    # broker (None or memory:// = in-process; redis://... = Redis)
    broker_url: str | None = None
    # model, shared by every stream of the process
    model: str = "base"
    device: Device = "cpu"
    compute_type: str | None = None
    cpu_threads: int = Field(default=0, ge=0)
    num_workers: int = Field(default=1, ge=1, description="decode steps that run at the same time")
    # streams
    language: str = "de"
    min_chunk_s: float = Field(default=0.8, gt=0)
    queue_s: float = Field(default=30.0, gt=0, description="audio a stream may queue before ingest waits")
    max_streams: int = Field(default=8, ge=1)
    content_root: Path | None = Field(default=None, description="content for hotwords (local vocabulary)")
    hotwords: bool = True
    # sources read by the service itself (files, HLS, RTMP)
    open_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("ingest_token")
    @classmethod
    def _strong_ingest_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_token_strength(value.get_secret_value(), variable="RATHAUS_ASR_INGEST_TOKEN (or --token)")
        return value

    def model_options(self) -> ModelOptions:
        return ModelOptions(
            model=self.model,
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=self.cpu_threads,
            num_workers=self.num_workers,
        )

    def stream_options(self, *, language: str | None = None) -> StreamOptions:
        base = StreamOptions()
        hotwords = load_hotwords(self.content_root) if self.hotwords else None
        return dataclasses.replace(
            base,
            language=language or self.language,
            min_chunk_s=self.min_chunk_s,
            hotwords=hotwords or base.hotwords,
        )

    def cue_options(self) -> CueOptions:
        return CueOptions()


def load_hotwords(content_root: Path | None, *, limit: int = 40) -> str | None:
    """Local vocabulary (street names, offices, council terms) from the content, as a hotword string.

    Missing or broken content only costs accuracy on local names, so it is logged, not fatal.
    """
    try:
        import content
    except ImportError:  # pragma: no cover - content is part of the project
        return None
    from rathaus.paths import repo_root

    root = content_root or repo_root() / "content" / "musterstadt"
    if not root.is_dir():
        return None
    try:
        words = content.vocabulary(root)
    except Exception as exc:  # noqa: BLE001 - any content problem degrades to "no hotwords"
        log.warning("asr.settings.hotwords_unavailable root=%s error=%s", root, exc)
        return None
    return " ".join(words[:limit]) or None
