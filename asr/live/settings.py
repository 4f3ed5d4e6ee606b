"""Settings of the live subtitle service, from the environment or a ``.env``.

One of the settings family ``common.settings.RathausSettings`` (docs/configuration.md). The service's own
options are ``RATHAUS_ASR_<FIELD>``; what it shares with the gateway has the gateway's name:
``RATHAUS_BROKER_URL`` (the broker both must use) and ``RATHAUS_METRICS_TOKEN``. The earlier
``RATHAUS_ASR_BROKER_URL`` and ``RATHAUS_ASR_METRICS_TOKEN`` are read for one release, with a warning.
Tokens also come from files (``RATHAUS_ASR_INGEST_TOKEN_FILE``, ``RATHAUS_METRICS_TOKEN_FILE``).

Operators configure the service here; the components get their options objects from
:meth:`AsrSettings.model_options`, :meth:`AsrSettings.stream_options` and :meth:`AsrSettings.cue_options`.

Examples::

    RATHAUS_ASR_INGEST_TOKEN=...            # required to accept ingest connections
    RATHAUS_BROKER_URL=redis://127.0.0.1:6379/0
    RATHAUS_ASR_MODEL=large-v3-turbo RATHAUS_ASR_DEVICE=cuda RATHAUS_ASR_COMPUTE_TYPE=float16
    RATHAUS_CONTENT=/srv/rathaus/content/beispielstadt   # hotwords: the content folder every service reads

The content folder is not an ``RATHAUS_ASR_`` setting: it is ``RATHAUS_CONTENT``, resolved by
``content.resolve_content_root`` for every service (``RATHAUS_ASR_CONTENT_ROOT`` still works for one
release, with a deprecation warning). Hotwords are the content's vocabulary (``content.vocabulary``),
formatted by :func:`asr.core.options.content_hotwords`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from asr.core.options import CueOptions, Device, ModelOptions, StreamOptions, content_hotwords
from common.auth import check_token_strength
from common.settings import RathausSettings
from content.root import ContentRootSources, find_city, resolve_content_root

__all__ = ["AsrSettings"]

_ENV_FILE = ".env"

log = logging.getLogger(__name__)

_MODEL = ModelOptions()


class AsrSettings(ContentRootSources, RathausSettings):
    """Everything the live service reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="RATHAUS_ASR_", env_file=_ENV_FILE, extra="ignore", frozen=True, populate_by_name=True
    )
    deprecated_variables: ClassVar[Mapping[str, str]] = {
        "RATHAUS_ASR_BROKER_URL": "broker_url",
        "RATHAUS_ASR_METRICS_TOKEN": "metrics_token",
    }

    # ingest server
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    ingest_token: SecretStr | None = None
    # /metrics on the ingest port: off unless set, then `Authorization: Bearer <token>` (common/metrics_access.py)
    metrics_token: SecretStr | None = Field(default=None, validation_alias="RATHAUS_METRICS_TOKEN")
    max_frame_bytes: int = Field(default=1 << 20, ge=1024, description="largest accepted WebSocket frame")
    # broker (None or memory:// = in-process; redis://... = Redis)
    broker_url: str | None = Field(default=None, validation_alias="RATHAUS_BROKER_URL")
    # model, shared by every stream of the process
    # defaults: ModelOptions' own, as every command's model flags (asr/whisper/flags.py)
    model: str = _MODEL.model
    device: Device = _MODEL.device
    compute_type: str | None = _MODEL.compute_type
    cpu_threads: int = Field(default=_MODEL.cpu_threads, ge=0)
    num_workers: int = Field(default=_MODEL.num_workers, ge=1, description="decode steps that run at the same time")
    # the live decoder (asr.whisper.engine.DECODERS) and how many streams one batched decode step serves
    decoder: Literal["ctranslate2", "faster-whisper"] = "faster-whisper"
    batch_size: int = Field(default=1, ge=1, le=32, description="streams per batched decode step (ctranslate2)")
    # streams
    language: str = "de"
    min_chunk_s: float = Field(default=0.8, gt=0)
    queue_s: float = Field(default=30.0, gt=0, description="audio a stream may queue before ingest waits")
    max_streams: int = Field(default=8, ge=1)
    # the city whose streams this process subtitles, one of RATHAUS_CITIES (docs/cities.md): its content
    # gives the hotwords, and its viewers' broker topics get the cues. Unset: the default city.
    city: str | None = None
    # content for hotwords (local vocabulary): RATHAUS_CONTENT, as for every service; see the module docstring
    content_root: Path = Field(default_factory=lambda: resolve_content_root(AsrSettings._environment()))
    hotwords: bool = True
    # sources read by the service itself (files, HLS, RTMP)
    open_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _city_content(cls, data: Any) -> Any:
        # A city's own content folder, unless the content folder is given explicitly (a CLI flag).
        if isinstance(data, dict) and data.get("city") and not data.get("content_root"):
            city, _default = find_city(str(data["city"]), cls._environment(), variable="RATHAUS_ASR_CITY (or --city)")
            data = {**data, "content_root": city.root}
        return data

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

