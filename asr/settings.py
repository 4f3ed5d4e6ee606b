"""Settings of the live subtitle service, from the environment (prefix ``RATHAUS_ASR_``) or a ``.env``.

Operators configure the service here; the components get their options objects from
:meth:`AsrSettings.model_options`, :meth:`AsrSettings.stream_options` and :meth:`AsrSettings.cue_options`.

Examples::

    RATHAUS_ASR_INGEST_TOKEN=...            # required to accept ingest connections
    RATHAUS_ASR_BROKER_URL=redis://127.0.0.1:6379/0
    RATHAUS_ASR_MODEL=large-v3-turbo RATHAUS_ASR_DEVICE=cuda RATHAUS_ASR_COMPUTE_TYPE=float16
    RATHAUS_CONTENT=/srv/rathaus/content/beispielstadt   # hotwords: the content folder every service reads

The content folder is not an ``RATHAUS_ASR_`` setting: it is ``RATHAUS_CONTENT``, resolved by
``content.resolve_content_root`` for every service (``RATHAUS_ASR_CONTENT_ROOT`` still works for one
release, with a deprecation warning). Hotwords are the content's vocabulary (``content.vocabulary``),
formatted by :func:`asr.options.content_hotwords`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from asr.options import CueOptions, Device, ModelOptions, StreamOptions, content_hotwords
from common.auth import check_token_strength
from content.root import ContentRootSources, resolve_content_root

__all__ = ["AsrSettings"]

_ENV_FILE = ".env"

log = logging.getLogger(__name__)


class AsrSettings(ContentRootSources, BaseSettings):
    """Everything the live service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="RATHAUS_ASR_", env_file=_ENV_FILE, extra="ignore")

    # ingest server
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    ingest_token: SecretStr | None = None
    # /metrics on the ingest port: off unless set, then `Authorization: Bearer <token>` (common/metrics_access.py)
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
    # content for hotwords (local vocabulary): RATHAUS_CONTENT, as for every service; see the module docstring
    content_root: Path = Field(default_factory=lambda: resolve_content_root(_environment()))
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
        hotwords = content_hotwords(self.content_root) if self.hotwords else None
        return dataclasses.replace(
            base,
            language=language or self.language,
            min_chunk_s=self.min_chunk_s,
            hotwords=hotwords or base.hotwords,
        )

    def cue_options(self) -> CueOptions:
        return CueOptions()


def _environment() -> dict[str, str]:
    """The process environment over ``.env`` (pydantic-settings' order), for the content resolver."""
    if not os.path.isfile(_ENV_FILE):
        return dict(os.environ)
    from_file = {k: v for k, v in dotenv_values(_ENV_FILE).items() if v is not None}
    return from_file | dict(os.environ)
