"""Gateway settings from the environment (prefix ``RATHAUS_``), with city details from the content.

One of the settings family ``common.settings.RathausSettings`` (docs/configuration.md): every field can be
set as ``RATHAUS_<FIELD>``, every token also as ``RATHAUS_<FIELD>_FILE``, e.g.
``RATHAUS_BROKER_URL=redis://127.0.0.1:6379/0``.
List fields take comma-separated values (``RATHAUS_ALLOWED_ORIGINS=https://www.musterstadt.example``).
City name, phone and e-mail default to ``municipality.yml`` of the content folder, which is
``RATHAUS_CONTENT`` as every service reads it (``content.resolve_content_root``); the earlier
``RATHAUS_CONTENT_ROOT`` is still read there, with a deprecation warning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from channels.errors import ConfigError
from channels.messages import MAX_FRAME_BYTES
from common.auth import check_token_strength
from common.settings import RathausSettings
from content.root import ContentRootSources, resolve_content_root

__all__ = ["GatewaySettings", "load_settings"]

log = logging.getLogger(__name__)

_REPO = Path(__file__).resolve().parent.parent


class GatewaySettings(ContentRootSources, RathausSettings):
    """All options of one gateway instance; passed whole to ``create_app``."""

    host: str = "127.0.0.1"
    port: int = 8080
    broker_url: str | None = None
    broker_history: int = Field(default=10_000, ge=10)
    broker_pool_size: int = Field(default=50, ge=1)
    broker_pool_timeout_s: float = Field(default=10.0, gt=0)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    action_url: str | None = "http://127.0.0.1:5055/webhook"
    rasa_timeout_s: float = Field(default=30.0, gt=0, le=300)
    rasa_retry_after_s: float = Field(default=5.0, gt=0)
    rasa_breaker_failures: int = Field(default=3, ge=1)
    rasa_concurrency: int = Field(default=4, ge=1)
    rasa_queue_max: int = Field(default=500, ge=0)
    rasa_queue_timeout_s: float = Field(default=60.0, gt=0)
    # not read as RATHAUS_CONTENT_ROOT by pydantic-settings: the shared resolver reads RATHAUS_CONTENT
    content_root: Path = Field(default_factory=resolve_content_root)
    web_root: Path = _REPO / "channels" / "web"
    city_name: str | None = None
    city_phone: str | None = None
    city_email: str | None = None
    # Branding (branding: colour, logo of municipality.yml): the widget's main colour and the city's logo,
    # a file in the content folder served at /{city}/logo.
    city_colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    city_logo: Path | None = None
    # What a citizen reads when nobody is in the chat: phone, e-mail, service hours (municipality.yml
    # handoff.unavailable_text); without it the gateway names phone and e-mail only.
    handoff_unavailable_text: str | None = None
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    staff_token: SecretStr | None = None
    # per-person staff accounts (channels/staff_accounts.py); with it, the shared staff_token is optional
    staff_accounts: Path | None = None
    metrics_token: SecretStr | None = None
    handoff_timeout_s: float = Field(default=120.0, gt=0)
    handoff_per_client: int = Field(default=3, ge=1)
    # callback requests hold a citizen's name and contact: deleted this long after they were made (7 days)
    callback_retention_s: int = Field(default=7 * 24 * 3600, ge=60)
    hls_url: str | None = None
    # how far behind the live edge the viewer's player stays (seconds): at least the subtitle service's
    # delay from spoken word to published cue, so captions are there when the picture gets to their words
    hls_delay_s: float = Field(default=15.0, ge=2, le=120)
    # a folder of HLS files (playlists, segments) the gateway serves at /hls/: demos and small set-ups; at
    # scale the city's web server or CDN serves them (docs/live.md)
    hls_dir: Path | None = None
    default_stream: str = "ratssitzung"
    # recorded meetings with subtitles, listed at /aufzeichnungen/ (channels/recordings.py, docs/live.md)
    recordings_dir: Path | None = None
    # recordings made by themselves when a livestream ends (channels/archiver.py, docs/live.md): on one gateway
    # instance; which streams (default: default_stream), their title ({stream} is replaced), the city's time zone
    archive_live: bool = False
    archive_streams: Annotated[tuple[str, ...], NoDecode] = ()
    archive_title: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str = "Europe/Berlin"
    frame_ancestors: str = "'none'"
    max_msg_bytes: int = Field(default=MAX_FRAME_BYTES, ge=1024)
    session_rate_per_s: float = Field(default=1.0, gt=0)
    session_burst: int = Field(default=5, ge=1)
    ip_rate_per_s: float = Field(default=5.0, gt=0)
    ip_burst: int = Field(default=30, ge=1)
    flood_strikes: int = Field(default=20, ge=1)
    trust_forwarded: bool = False
    trusted_proxies: int = Field(default=1, ge=1, le=10)
    viewer_queue: int = Field(default=256, ge=1)
    subtitle_replay: int = Field(default=200, ge=0)
    chat_history: int = Field(default=200, ge=0)
    chat_retention_s: int = Field(default=24 * 3600, ge=60)
    ws_close_timeout_s: float = Field(default=2.0, gt=0, le=30)
    shutdown_timeout_s: float = Field(default=10.0, gt=0)
    log_level: str = "INFO"

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("archive_streams", mode="before")
    @classmethod
    def _split_streams(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from exc
        return value

    @model_validator(mode="after")
    def _archive_needs_folders(self) -> GatewaySettings:
        if self.archive_live and (self.recordings_dir is None or self.hls_url is None):
            raise ValueError("RATHAUS_ARCHIVE_LIVE needs RATHAUS_RECORDINGS_DIR (where recordings go) and "
                             "RATHAUS_HLS_URL (the livestream to record)")
        return self

    @field_validator("staff_token")
    @classmethod
    def _strong_staff_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_token_strength(value.get_secret_value(), variable="RATHAUS_STAFF_TOKEN")
        return value

    def with_city(self) -> GatewaySettings:
        """A copy with ``city_*`` filled from ``municipality.yml`` where not set explicitly."""
        path = self.content_root / "municipality.yml"
        data: dict[str, Any] = {}
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            data = loaded if isinstance(loaded, dict) else {}
        except FileNotFoundError:
            log.warning("gateway.settings.no_municipality path=%s", path)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc}); fix it or set RATHAUS_CITY_* variables") from exc
        raw_handoff = data.get("handoff")
        handoff: dict[str, Any] = raw_handoff if isinstance(raw_handoff, dict) else {}
        raw_branding = data.get("branding")
        branding: dict[str, Any] = raw_branding if isinstance(raw_branding, dict) else {}
        logo = self.city_logo or (self.content_root / str(branding["logo"]) if branding.get("logo") else None)
        return self.model_copy(
            update={
                "city_name": self.city_name or str(data.get("name") or "Ihre Stadt"),
                "city_phone": self.city_phone or str(handoff.get("phone") or data.get("phone") or "115"),
                "city_email": self.city_email or (handoff.get("email") or data.get("email")),
                "handoff_unavailable_text": self.handoff_unavailable_text
                or (str(handoff["unavailable_text"]) if handoff.get("unavailable_text") else None),
                "city_colour": self.city_colour or (str(branding["colour"]) if branding.get("colour") else None),
                "city_logo": logo,
            }
        )


def load_settings(**overrides: Any) -> GatewaySettings:
    """Settings from the environment, then ``overrides``, with city details resolved.

    Raises ``common.settings.SettingsError`` naming each variable that is wrong."""
    return GatewaySettings.load(**overrides).with_city()
