"""Channel layer: typed messages, a broker (in-process or Redis) and the aiohttp gateway.

Importing ``channels`` is cheap: the gateway, Redis and aiohttp adapters load only when used.
"""

from __future__ import annotations

from channels.errors import BrokerError, ChannelError, ConfigError, FrameError

__all__ = ["BrokerError", "ChannelError", "ConfigError", "FrameError"]
