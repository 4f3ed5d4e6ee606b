"""The broker: how cues and chat events travel between the ASR service, gateway instances and clients.

One contract (:mod:`channels.broker.base`), two implementations:

* :class:`MemoryBroker` (``memory://`` or ``None``, :mod:`channels.broker.memory`): in-process, the
  default; a single instance runs with nothing else installed. History is a bounded ring per topic.
* :class:`RedisBroker` (``redis://...``, :mod:`channels.broker.redis`): Redis Streams for durable history
  (``XADD ... MAXLEN ~``) and pub/sub for live delivery, so several gateway instances share topics.

Usage::

    broker = broker_from_url(url)
    msg_id = await broker.publish("subtitles:rat", cue)
    async with broker.subscribe("subtitles:rat", replay=50) as events:
        async for envelope in events:
            ...
    await broker.aclose()
"""

from __future__ import annotations

from channels.broker.base import (
    DEFAULT_CHAT_RETENTION_S,
    DEFAULT_HISTORY,
    Broker,
    Cursor,
    Envelope,
    FoldMark,
    id_after,
    parse_id,
)
from channels.broker.fold import fold_topic
from channels.broker.memory import MemoryBroker
from channels.broker.redis import RedisBroker
from channels.errors import ConfigError

__all__ = [
    "Broker",
    "Cursor",
    "Envelope",
    "FoldMark",
    "MemoryBroker",
    "RedisBroker",
    "broker_from_url",
    "fold_topic",
    "id_after",
    "parse_id",
]


def broker_from_url(
    url: str | None,
    *,
    history_size: int = DEFAULT_HISTORY,
    chat_retention_s: int = DEFAULT_CHAT_RETENTION_S,
    pool_size: int = 50,
    pool_timeout_s: float = 10.0,
) -> Broker:
    """``None``/``"memory://"`` -> :class:`MemoryBroker`; ``redis://`` or ``rediss://`` -> :class:`RedisBroker`.

    ``chat_retention_s``: chat topics (``chat:*``) are deleted this long after their last message.
    ``pool_size``, ``pool_timeout_s``: Redis command connections, and how long a command waits for a free one.
    """
    retention = {"chat:": chat_retention_s}
    if url is None or url in {"", "memory://", "memory"}:
        return MemoryBroker(history_size=history_size, retention=retention)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(
            url,
            history_size=history_size,
            retention=retention,
            max_connections=pool_size,
            pool_timeout_s=pool_timeout_s,
        )
    raise ConfigError(
        f"broker URL {url!r} is not supported; use 'memory://' (single instance) or 'redis://host:6379/0'"
        " (set RATHAUS_BROKER_URL)"
    )
