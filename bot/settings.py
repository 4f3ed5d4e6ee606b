"""Settings of ``rathaus bot run`` (the supervisor of Rasa and the action server), from the environment.

One of the settings family ``common.settings.RathausSettings`` (docs/configuration.md), so the names are
the gateway's where the concept is shared: ``RATHAUS_RASA_TOKEN`` (also ``RATHAUS_RASA_TOKEN_FILE``) and
``RATHAUS_CHAT_RETENTION_S``. The action server itself runs in the Rasa environment (pydantic 1) and reads
its few variables with ``os.environ`` (``bot/actions``); they are listed in docs/configuration.md too.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from common.auth import check_token_strength
from common.settings import RathausSettings

__all__ = ["BotSettings"]


class BotSettings(RathausSettings):
    """What ``rathaus bot run`` reads from its environment; command-line options override it."""

    # Redis for Rasa's trackers and locks (several Rasa instances); None: in memory
    redis_url: str | None = None
    # Token of Rasa's HTTP API; None: a random one per run
    rasa_token: SecretStr | None = None
    # seconds Redis keeps a conversation (RedisTrackerStore record_exp), as the gateway's chat history
    chat_retention_s: int = Field(default=24 * 3600, ge=60)

    @field_validator("rasa_token")
    @classmethod
    def _strong_rasa_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_token_strength(value.get_secret_value(), variable="RATHAUS_RASA_TOKEN")
        return value
