"""Callback requests, sans-I/O: what a citizen leaves for staff when nobody is in the chat.

Like the hand-off queue (:mod:`channels.handoff`), every gateway instance folds the same ordered stream of
:class:`~channels.messages.CallbackEvent` (broker topic ``callbacks``) into its own :class:`CallbackBook`:
``open`` adds a request, ``done`` marks it dealt with (the first ``done`` in broker order wins). The book only
proposes events; they take effect when folded. It keeps the newest ``limit`` requests.

Retention: a request holds a citizen's name and how to reach them, so it is kept ``retention_s`` after it was
made (open or done) and no longer. :meth:`CallbackBook.expire` drops the expired requests and returns the
broker ids (``ref``) of their stored events, which the shell deletes from the topic. Every instance expires by
its own clock; no event is needed, as the rule depends on time alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from channels.errors import StaffConflict
from channels.messages import CallbackEvent, StaffCallback

__all__ = ["CallbackBook", "CallbackConflict", "CallbackRequest", "Expired"]


class CallbackConflict(StaffConflict):
    """``staff.callback_done`` for a request that is unknown or done already."""


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    id: str
    name: str
    contact: str
    question: str
    requested: float
    session: str | None = None
    done_by: str | None = None
    done_at: float | None = None

    @property
    def open(self) -> bool:
        return self.done_at is None


@dataclass(frozen=True, slots=True)
class Expired:
    """What one :meth:`CallbackBook.expire` removed: how many requests, and the stored events to delete."""

    requests: int = 0
    refs: tuple[str, ...] = field(default=())


class CallbackBook:
    def __init__(self, *, limit: int = 500) -> None:
        self.limit = limit
        self._requests: dict[str, CallbackRequest] = {}  # insertion order: oldest first
        self._refs: dict[str, list[str]] = {}  # request id -> broker ids of its stored events

    def apply(self, event: CallbackEvent, *, ref: str | None = None) -> CallbackRequest | None:
        """Fold one event (``ref``: its broker id, to delete it when the request expires); the request's new
        state, or None when the event did not apply."""
        if ref is not None:
            self._refs.setdefault(event.id, []).append(ref)
        current = self._requests.get(event.id)
        if event.state == "open":
            if current is not None:
                return None
            new = CallbackRequest(
                id=event.id,
                name=event.name,
                contact=event.contact,
                question=event.question,
                requested=event.ts,
                session=event.session,
            )
            self._requests[event.id] = new
            while len(self._requests) > self.limit:
                del self._requests[next(iter(self._requests))]
            return new
        if current is None or not current.open:
            return None
        new = replace(current, done_by=event.staff, done_at=event.ts)
        self._requests[event.id] = new
        return new

    def request(
        self, *, id: str, name: str, contact: str, question: str, now: float, session: str | None = None
    ) -> CallbackEvent:
        return CallbackEvent(
            id=id,
            state="open",
            session=session,
            name=name.strip(),
            contact=contact.strip(),
            question=question.strip(),
            ts=now,
        )

    def done(self, id: str, *, staff: str, now: float) -> CallbackEvent:
        current = self._requests.get(id)
        if current is None:
            raise CallbackConflict(
                f"staff.callback_done: no callback request {id!r}",
                code="unknown_callback",
                german="Diese Rückruf-Bitte gibt es nicht (mehr).",
            )
        if not current.open:
            raise CallbackConflict(
                f"staff.callback_done: {id!r} done already by {current.done_by!r}",
                code="callback_done",
                german=f"Diese Rückruf-Bitte hat {current.done_by or 'jemand anderes'} schon erledigt.",
            )
        return CallbackEvent(id=id, state="done", staff=staff, ts=now)

    def expire(self, *, now: float, retention_s: float) -> Expired:
        """Drop every request made more than ``retention_s`` ago; the refs of their events (and of events
        whose request is gone already, e.g. past ``limit``) are returned once, for deletion."""
        cutoff = now - retention_s
        gone = [id for id, r in self._requests.items() if r.requested < cutoff]
        for id in gone:
            del self._requests[id]
        orphans = [id for id in self._refs if id not in self._requests]
        refs = tuple(ref for id in orphans for ref in self._refs.pop(id))
        return Expired(requests=len(gone), refs=refs)

    def requests(self) -> list[CallbackRequest]:
        return list(self._requests.values())

    def listing(self) -> tuple[StaffCallback, ...]:
        """Open requests first (oldest first: who waited longest), then done ones (newest first)."""
        requests = list(self._requests.values())
        open_ = [r for r in requests if r.open]
        done = sorted((r for r in requests if not r.open), key=lambda r: r.done_at or 0.0, reverse=True)
        return tuple(
            StaffCallback(
                id=r.id,
                state="open" if r.open else "done",
                name=r.name,
                contact=r.contact,
                question=r.question,
                requested=r.requested,
                done_by=r.done_by,
                done_at=r.done_at,
            )
            for r in (*open_, *done)
        )
