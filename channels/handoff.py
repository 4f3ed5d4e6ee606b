"""Human hand-off, sans-I/O: the queue of conversations waiting for or talking to staff.

Every gateway instance folds the same ordered stream of :class:`~channels.messages.HandoffEvent` (broker
topic ``handoff``) into its own :class:`HandoffQueue`, so all instances agree on who is waiting and who
took what, without talking to each other. The decision methods (:meth:`HandoffQueue.request`,
:meth:`take`, :meth:`release`, :meth:`cancel`, :meth:`expire`) only *propose* an event; it takes effect when it comes
back from the broker and is folded by :meth:`apply`. Fold rules make concurrent decisions safe: a take
applies only to a waiting conversation (the first take in broker order wins). A citizen's cancel is an
``ended`` event without staff; it applies only while nobody has taken the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from channels.errors import StaffConflict
from channels.messages import HandoffEvent

__all__ = [
    "TYPING_INTERVAL_S",
    "ClientQuota",
    "Conversation",
    "HandoffConflict",
    "HandoffQueue",
    "HandoffState",
    "TypingThrottle",
]


class HandoffState(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    TIMEOUT = "timeout"
    ENDED = "ended"


class HandoffConflict(StaffConflict):
    """A staff action that does not fit the conversation's state."""


@dataclass(frozen=True, slots=True)
class Conversation:
    session: str
    state: HandoffState
    waiting_since: float
    staff: str | None = None
    origin: str | None = None

    @property
    def open(self) -> bool:
        return self.state in (HandoffState.WAITING, HandoffState.ACTIVE)


class HandoffQueue:
    """State of all hand-offs, built only from applied events."""

    def __init__(self) -> None:
        self._conversations: dict[str, Conversation] = {}

    # ------------------------------------------------------------ fold
    def apply(self, event: HandoffEvent) -> Conversation | None:
        """Fold one event; returns the conversation's new state, or None when the event did not apply."""
        current = self._conversations.get(event.session)
        state = HandoffState(event.state)
        if state is HandoffState.WAITING:
            if current is not None and current.open:
                return None
            new = Conversation(session=event.session, state=state, waiting_since=event.ts, origin=event.origin)
        elif current is None:
            return None
        elif state is HandoffState.ACTIVE:
            if current.state is not HandoffState.WAITING:
                return None
            new = replace(current, state=state, staff=event.staff)
        elif state is HandoffState.TIMEOUT:
            if current.state is not HandoffState.WAITING:
                return None
            new = replace(current, state=state)
        else:  # ENDED
            if not current.open:
                return None
            if event.staff is None and current.state is not HandoffState.WAITING:
                return None  # a citizen's cancel that crossed a take: the person already answers
            new = replace(current, state=state)
        if new.open:
            self._conversations[event.session] = new
        else:
            self._conversations.pop(event.session, None)
        return new

    # ------------------------------------------------------------ queries
    def get(self, session: str) -> Conversation | None:
        return self._conversations.get(session)

    def routes_to_staff(self, session: str) -> bool:
        """Whether the citizen's messages go to staff instead of the assistant."""
        conversation = self._conversations.get(session)
        return conversation is not None and conversation.open

    def position(self, session: str) -> int | None:
        """Place of a waiting conversation in the queue (1: next), or None when it is not waiting."""
        waiting = [c.session for c in self.open_conversations() if c.state is HandoffState.WAITING]
        return waiting.index(session) + 1 if session in waiting else None

    def open_conversations(self) -> list[Conversation]:
        return sorted(self._conversations.values(), key=lambda c: (c.waiting_since, c.session))

    # ------------------------------------------------------------ proposals
    def request(self, session: str, *, now: float, origin: str | None = None) -> HandoffEvent | None:
        """The citizen asks for a person; None when already waiting or talking to one."""
        if self.routes_to_staff(session):
            return None
        return HandoffEvent(session=session, state="waiting", ts=now, origin=origin)

    def take(self, session: str, *, staff: str, now: float, origin: str | None = None) -> HandoffEvent:
        conversation = self._conversations.get(session)
        if conversation is None:
            raise HandoffConflict(
                f"staff.take: session {session!r} is not waiting for staff",
                code="unknown_session",
                german="Dieses Gespräch wartet nicht (mehr) auf eine Mitarbeiterin oder einen Mitarbeiter.",
            )
        if conversation.state is HandoffState.ACTIVE:
            raise HandoffConflict(
                f"staff.take: session {session!r} already taken by {conversation.staff!r}",
                code="already_taken",
                german="Dieses Gespräch wurde bereits übernommen.",
            )
        return HandoffEvent(session=session, state="active", staff=staff, ts=now, origin=origin)

    def check_assigned(self, session: str, *, staff: str) -> Conversation:
        conversation = self._conversations.get(session)
        if conversation is None or conversation.state is not HandoffState.ACTIVE or conversation.staff != staff:
            raise HandoffConflict(
                f"staff action on {session!r} by {staff!r}, which has not taken it",
                code="not_assigned",
                german="Sie haben dieses Gespräch nicht übernommen. Bitte zuerst übernehmen.",
            )
        return conversation

    def release(self, session: str, *, staff: str, now: float, origin: str | None = None) -> HandoffEvent:
        self.check_assigned(session, staff=staff)
        return HandoffEvent(session=session, state="ended", staff=staff, ts=now, origin=origin)

    def cancel(self, session: str, *, now: float, origin: str | None = None) -> HandoffEvent | None:
        """The citizen withdraws the request; None when it is not waiting (taken already, or none)."""
        conversation = self._conversations.get(session)
        if conversation is None or conversation.state is not HandoffState.WAITING:
            return None
        return HandoffEvent(session=session, state="ended", ts=now, origin=origin)

    def expire(self, *, now: float, timeout_s: float, origin: str | None = None) -> list[HandoffEvent]:
        """Timeout events for conversations nobody took within ``timeout_s``.

        With ``origin`` only those this instance queued, plus any older than twice the timeout (their
        instance may be gone), so a timeout is normally announced once.
        """
        return [
            HandoffEvent(session=c.session, state="timeout", ts=now, origin=origin)
            for c in self.open_conversations()
            if c.state is HandoffState.WAITING
            and (
                (now - c.waiting_since >= timeout_s and (origin is None or c.origin == origin))
                or now - c.waiting_since >= 2 * timeout_s
            )
        ]


class ClientQuota:
    """How many conversations each client address has waiting for staff on this instance, so one address
    cannot flood the staff queue. Counted from the proposal on (not when folded), so a burst of requests is
    limited too; a conversation stops counting when it leaves the waiting state."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._sessions: dict[str, set[str]] = {}  # client address -> its sessions waiting for staff
        self._client: dict[str, str] = {}  # session -> the client address that queued it

    def admit(self, client: str, session: str) -> bool:
        """Count ``session`` for ``client``; False (and not counted) when the address is at its limit."""
        queued = self._sessions.setdefault(client, set())
        if len(queued) >= self.limit:
            if not queued:
                del self._sessions[client]
            return False
        queued.add(session)
        self._client[session] = client
        return True

    def waiting(self, client: str) -> int:
        return len(self._sessions.get(client, ()))

    def left_waiting(self, session: str) -> None:
        client = self._client.pop(session, None)
        if client is not None and (queued := self._sessions.get(client)) is not None:
            queued.discard(session)
            if not queued:
                del self._sessions[client]


TYPING_INTERVAL_S = 2.0  # at most one chat.typing per conversation this often; the widget shows it for 5 s


class TypingThrottle:
    """Whether a staff member's keystrokes in a conversation should reach the citizen as ``chat.typing``
    now: at most once every ``interval_s`` per conversation, so a fast typist (or a console on several
    tabs) cannot flood the broker or the citizen's screen reader."""

    def __init__(self, *, interval_s: float = TYPING_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last: dict[str, float] = {}  # session -> when the last chat.typing was let through

    def allow(self, session: str, *, now: float) -> bool:
        last = self._last.get(session)
        if last is not None and now - last < self.interval_s:
            return False
        self._last[session] = now
        return True

    def forget(self, session: str) -> None:
        """The message was sent or the conversation closed: the next keystroke shows "schreibt" again at once."""
        self._last.pop(session, None)
