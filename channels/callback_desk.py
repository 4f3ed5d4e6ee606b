"""The shell around :class:`~channels.callbacks.CallbackBook`: callback requests on the broker topic ``callbacks``.

It proposes events (a citizen's request, staff marking one done), folds the shared topic (history, then
live) so every gateway instance holds the same list, and hands the whole list to the staff consoles after
each change. The citizen hears back through ``tell`` (the chat service's note into the conversation).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from channels.broker import Broker, FoldMark
from channels.callbacks import CallbackBook
from channels.chat import CityInfo, texts
from channels.messages import CallbackEvent, ChatCallback, StaffCallbacks

__all__ = ["CALLBACK_TOPIC", "CallbackDesk"]

log = logging.getLogger(__name__)

CALLBACK_TOPIC = "callbacks"


class CallbackDesk:
    def __init__(
        self,
        *,
        broker: Broker,
        clock: Callable[[], float],
        city: CityInfo,
        history: int,
        notify: Callable[[StaffCallbacks], None],
        tell: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self.broker = broker
        self.clock = clock
        self.city = city
        self.history = history
        self.book = CallbackBook()
        self._notify = notify
        self._tell = tell
        self._folded = FoldMark()

    async def request(self, session: str, frame: ChatCallback) -> None:
        """Keep the citizen's request for staff (durable on the broker, so never lost) and tell the citizen.
        One open request per conversation."""
        if any(r.session == session and r.open for r in self.book.requests()):
            await self._tell(session, texts.callback_exists(self.city))
            return
        event = self.book.request(
            id=secrets.token_urlsafe(12),
            name=frame.name,
            contact=frame.contact,
            question=frame.question,
            now=self.clock(),
            session=session,
        )
        await self._folded.wait(await self.broker.publish(CALLBACK_TOPIC, event))
        log.info("chat.callback.requested")
        await self._tell(session, texts.callback_saved(self.city))

    async def done(self, id: str, *, staff: str) -> None:
        event = self.book.done(id, staff=staff, now=self.clock())
        await self._folded.wait(await self.broker.publish(CALLBACK_TOPIC, event))

    def listing(self) -> StaffCallbacks:
        return StaffCallbacks(callbacks=self.book.listing())

    async def run_listener(self) -> None:
        """Fold the shared topic for the app's lifetime (reconnects with backoff)."""
        delay = 0.1
        while True:
            try:
                backlog = await self.broker.history(CALLBACK_TOPIC, count=self.history)
                book = CallbackBook()
                for envelope in backlog:
                    if isinstance(envelope.message, CallbackEvent):
                        book.apply(envelope.message)
                self.book = book
                self._notify(self.listing())
                since = backlog[-1].id if backlog else "0-0"
                async with self.broker.subscribe(CALLBACK_TOPIC, since=since) as events:
                    delay = 0.1
                    async for envelope in events:
                        if isinstance(envelope.message, CallbackEvent) and self.book.apply(envelope.message):
                            self._notify(self.listing())
                        await self._folded.mark(envelope.id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat.callback.listener_failed retry_in=%.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
