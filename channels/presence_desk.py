"""The shell around :class:`~channels.presence.PresenceBoard`: staff presence across gateway instances.

This instance announces how many staff consoles it holds on the broker topic ``presence`` (live only)
when the number changes and every ``interval_s``, and folds the other instances' announcements, so the
citizen's widget knows before asking whether a person can answer now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from channels.broker import Broker, Envelope, fold_topic
from channels.errors import BrokerError
from channels.messages import StaffPresence
from channels.presence import PresenceBoard
from channels.topics import PRESENCE_TOPIC

__all__ = ["PRESENCE_INTERVAL_S", "PresenceDesk"]

log = logging.getLogger(__name__)

PRESENCE_INTERVAL_S = 5.0  # how often an instance announces its staff count; absent after 3 intervals


class PresenceDesk:
    def __init__(self, *, broker: Broker, instance: str, own: Callable[[], int], clock: Callable[[], float]) -> None:
        # own: how many staff consoles this instance holds now (the chat service's listener count)
        self.broker = broker
        self.instance = instance
        self.board = PresenceBoard(instance=instance, ttl_s=3 * PRESENCE_INTERVAL_S)
        self._own = own
        self._clock = clock
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """A console opened or closed here: announce at once."""
        self._changed.set()

    def staff_online(self) -> int:
        """Staff consoles open now, on this instance and (as last announced) on the others."""
        return self.board.staff_online(own=self._own(), now=time.monotonic())

    async def run_announcer(self, *, interval_s: float = PRESENCE_INTERVAL_S) -> None:
        """Tell the other instances how many staff consoles this one holds: on change and every interval."""
        while True:
            self._changed.clear()
            announcement = StaffPresence(instance=self.instance, staff=self._own(), ts=self._clock())
            try:
                await self.broker.publish(PRESENCE_TOPIC, announcement, durable=False)
            except BrokerError as exc:
                log.warning("chat.presence.publish_failed error=%s", exc)
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancel that arrives as
            # the event is set (a console closing at shutdown), and the task would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval_s):
                    await self._changed.wait()

    async def run_listener(self) -> None:
        """Fold the other instances' announcements (live only: the first ones come within an interval)."""
        await fold_topic(self.broker, PRESENCE_TOPIC, history=None, apply=self._apply, name="chat.presence")

    async def _apply(self, envelope: Envelope) -> None:
        if isinstance(envelope.message, StaffPresence):
            self.board.apply(envelope.message, now=time.monotonic())
