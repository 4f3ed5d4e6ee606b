"""Callback requests, sans-I/O: what a citizen leaves for staff when nobody is in the chat.

Like the hand-off queue (:mod:`channels.handoff`), every gateway instance folds the same ordered stream of
:class:`~channels.messages.CallbackEvent` (broker topic ``callbacks``) into its own :class:`CallbackBook`:
``open`` adds a request, ``done`` marks it dealt with (the first ``done`` in broker order wins). The book only
proposes events; they take effect when folded. It keeps the newest ``limit`` requests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from channels.errors import StaffConflict
from channels.messages import CallbackEvent, StaffCallback

__all__ = ["CallbackBook", "CallbackConflict", "CallbackRequest"]


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


class CallbackBook:
    def __init__(self, *, limit: int = 500) -> None:
        self.limit = limit
        self._requests: dict[str, CallbackRequest] = {}  # insertion order: oldest first

    def apply(self, event: CallbackEvent) -> CallbackRequest | None:
        """Fold one event; the request's new state, or None when the event did not apply."""
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
