"""Fold a shared topic into a gateway instance's state: history first, then live, for the app's lifetime.

The hand-off queue (topic ``handoff``) and the callback requests (``callbacks``) are both kept this way
("propose, then fold in broker order"): every instance rebuilds its state from the stored events, then
applies each new one in broker order, and marks how far it got so a writer can wait for its own event
(:class:`~channels.broker.base.FoldMark`). A broken subscription (Redis gone) is retried with backoff, and
the state is rebuilt from history again, so nothing published in between is missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from channels.broker.base import Broker, Envelope, FoldMark

__all__ = ["fold_topic"]

log = logging.getLogger(__name__)

FIRST_RETRY_S = 0.1
MAX_RETRY_S = 5.0


async def fold_topic(
    broker: Broker,
    topic: str,
    *,
    history: int | None,
    apply: Callable[[Envelope], Awaitable[None]],
    rebuild: Callable[[Sequence[Envelope]], Awaitable[None]] | None = None,
    folded: FoldMark | None = None,
    name: str,
) -> None:
    """Run until cancelled. ``rebuild`` gets the stored events (up to ``history``) and replaces the state
    with them quietly; ``apply`` then gets each newer event, live (both get envelopes: the message and its
    id, which :meth:`~channels.broker.base.Broker.remove` takes). ``history=None``: a live-only topic
    (nothing stored, no rebuild). ``name`` prefixes the log event."""
    delay = FIRST_RETRY_S
    while True:
        try:
            since = None
            if history is not None:
                backlog = await broker.history(topic, count=history)
                if rebuild is not None:
                    await rebuild(backlog)
                # "0-0": from the start of a topic that was empty, so nothing published meanwhile is missed.
                since = backlog[-1].id if backlog else "0-0"
            async with broker.subscribe(topic, since=since) as events:
                delay = FIRST_RETRY_S
                async for envelope in events:
                    await apply(envelope)
                    if folded is not None:
                        await folded.mark(envelope.id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s.listener_failed retry_in=%.1fs", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)
