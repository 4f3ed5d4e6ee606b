"""Admission of Rasa calls, sans-I/O: at most ``limit`` calls in flight per gateway instance, the rest wait
in arrival order.

Rasa answers a burst no faster than its steady rate (one process: about 11 answers/s on two cores); sending
it 100 questions at once only makes every one of them slow, and calls that time out are still worked on by
Rasa. So the gateway keeps a few calls in flight and queues the others. The shell
(:class:`channels.chat_service.ChatService`) owns the waiting: it parks a ticket, tells the citizen the
position, and calls Rasa when :meth:`Admission.release` hands the slot to that ticket.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Admission", "Admitted", "Queued", "Refused"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Admitted:
    """Call Rasa now (a slot is taken; release it when the call is over)."""


@dataclass(frozen=True, slots=True)
class Queued:
    """Wait for :meth:`Admission.release` to hand over a slot; ``position`` 1 is next."""

    position: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The queue is full: answer at once, without calling Rasa."""

    waiting: int


class Admission(Generic[T]):
    def __init__(self, *, limit: int, max_waiting: int) -> None:
        if limit < 1 or max_waiting < 0:
            raise ValueError(f"Admission needs limit >= 1 and max_waiting >= 0, got {limit} and {max_waiting}")
        self.limit = limit
        self.max_waiting = max_waiting
        self.in_flight = 0
        self._waiting: deque[T] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def request(self, ticket: T) -> Admitted | Queued | Refused:
        """A new call. Nobody overtakes a waiting ticket: a free slot goes to the queue first."""
        if self.in_flight < self.limit and not self._waiting:
            self.in_flight += 1
            return Admitted()
        if len(self._waiting) >= self.max_waiting:
            return Refused(waiting=len(self._waiting))
        self._waiting.append(ticket)
        return Queued(position=len(self._waiting))

    def release(self) -> T | None:
        """A call is over. Returns the ticket that now holds its slot (to be woken), or None."""
        if self.in_flight < 1:
            raise ValueError("Admission.release() without a call in flight")
        if self._waiting:
            return self._waiting.popleft()  # the slot passes on: in_flight stays the same
        self.in_flight -= 1
        return None

    def withdraw(self, ticket: T) -> bool:
        """A waiting ticket gives up (its citizen timed out or left). False when it already got a slot,
        which its owner must then use or release."""
        try:
            self._waiting.remove(ticket)
        except ValueError:
            return False
        return True
