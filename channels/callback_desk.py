"""The shell around :class:`~channels.callbacks.CallbackBook`: callback requests on the broker topic ``callbacks``.

It proposes events (a citizen's request, staff marking one done), folds the shared topic (history, then
live) so every gateway instance holds the same list, and hands the whole list to the staff consoles after
each change. The citizen hears back through ``tell`` (the chat service's note into the conversation).

Retention (``RATHAUS_CALLBACK_RETENTION_S``): :meth:`CallbackDesk.run_expiry` drops requests older than that
from the list (the consoles get the new list) and deletes their events from the topic's storage.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

from channels.broker import Broker, Envelope, FoldMark, fold_topic
from channels.callbacks import CallbackBook
from channels.chat import CityInfo, texts
from channels.errors import BrokerError
from channels.messages import CallbackEvent, ChatCallback, StaffCallbacks
from channels.topics import CALLBACK_TOPIC

__all__ = ["CallbackDesk"]

log = logging.getLogger(__name__)


class CallbackDesk:
    def __init__(
        self,
        *,
        broker: Broker,
        clock: Callable[[], float],
        city: CityInfo,
        history: int,
        retention_s: float,
        notify: Callable[[StaffCallbacks], None],
        tell: Callable[[str, str], Awaitable[None]],
    ) -> None:
        self.broker = broker
        self.clock = clock
        self.city = city
        self.history = history
        self.retention_s = retention_s
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
        await fold_topic(
            self.broker,
            CALLBACK_TOPIC,
            history=self.history,
            rebuild=self._rebuild,
            apply=self._apply,
            folded=self._folded,
            name="chat.callback",
        )

    async def _rebuild(self, backlog: Sequence[Envelope]) -> None:
        book = CallbackBook()
        for envelope in backlog:
            if isinstance(envelope.message, CallbackEvent):
                book.apply(envelope.message, ref=envelope.id)
        self.book = book
        await self.expire(quiet=True)  # stored events the last expiry could not delete (broker was away)
        self._notify(self.listing())

    async def _apply(self, envelope: Envelope) -> None:
        if isinstance(envelope.message, CallbackEvent) and self.book.apply(envelope.message, ref=envelope.id):
            self._notify(self.listing())

    async def expire(self, *, quiet: bool = False) -> int:
        """Drop the requests past their retention and delete their stored events; how many were dropped.
        Consoles get the new list unless ``quiet`` (the caller sends it)."""
        expired = self.book.expire(now=self.clock(), retention_s=self.retention_s)
        if expired.requests:
            log.info("chat.callback.expired requests=%d", expired.requests)
            if not quiet:
                self._notify(self.listing())
        if expired.refs:
            try:
                await self.broker.remove(CALLBACK_TOPIC, expired.refs)
            except BrokerError as exc:  # the next rebuild finds them again and retries
                log.warning("chat.callback.remove_failed error=%s", exc)
        return expired.requests

    async def run_expiry(self, *, interval_s: float = 60.0) -> None:
        """Apply the retention rule every ``interval_s`` for the app's lifetime."""
        while True:
            await asyncio.sleep(interval_s)
            await self.expire()
