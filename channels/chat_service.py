"""The gateway's chat service: one message at a time per session, every chat event published to
``chat:{session}``, the hand-off queue shared through the broker, staff presence and the staff consoles'
view of open conversations.

Shell around the sans-I/O cores :mod:`channels.chat`, :mod:`channels.handoff` and
:mod:`channels.presence`: it owns the timers, the locks and the broker subscriptions. Rasa calls (queue,
circuit breaker) are :mod:`channels.rasa_gate`'s, callback requests :mod:`channels.callback_desk`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from channels.broker import Broker, Envelope, FoldMark, fold_topic
from channels.callback_desk import CallbackDesk
from channels.chat import CityInfo, StatusKind, texts
from channels.errors import BrokerError
from channels.handoff import (
    ClientQuota,
    Conversation,
    HandoffConflict,
    HandoffQueue,
    HandoffState,
    TypingThrottle,
)
from channels.messages import (
    ChatAvailability,
    ChatEvent,
    ChatReply,
    ChatStatus,
    ChatTyping,
    ChatUser,
    CitizenPresence,
    HandoffEvent,
    StaffCallbacks,
    StaffConversation,
    StaffMessage,
    StaffQueue,
    StaffUpdate,
)
from channels.metrics import GatewayMetrics
from channels.presence_desk import PRESENCE_INTERVAL_S, PresenceDesk
from channels.rasa_client import RasaClient
from channels.rasa_gate import RasaGate
from channels.rasa_input import offered_payloads, rasa_text
from channels.settings import GatewaySettings
from channels.topics import HANDOFF_TOPIC, chat_topic

__all__ = [
    "ChatService",
    "StaffEvent",
    "StaffListener",
    "StaffResync",
]

log = logging.getLogger(__name__)

_STATUS_FOR: dict[HandoffState, StatusKind] = {
    HandoffState.WAITING: "handoff_waiting",
    HandoffState.ACTIVE: "handoff_active",
    HandoffState.TIMEOUT: "handoff_timeout",
    HandoffState.ENDED: "handoff_ended",
}


@dataclass(frozen=True, slots=True)
class StaffResync:
    """The hand-off listener rebuilt its state: a staff console needs the whole queue again."""


#: What a staff console's listener receives: a delta (staff.update, staff.message) or "send the whole
#: queue again". The console's shell serialises deltas and builds the queue for a resync.
StaffEvent = StaffUpdate | StaffMessage | StaffCallbacks | StaffResync  # StaffCallbacks: channels.callback_desk
StaffListener = Callable[[StaffEvent], None]


class ChatService:
    def __init__(
        self,
        settings: GatewaySettings,
        broker: Broker,
        rasa: RasaClient,
        *,
        metrics: GatewayMetrics | None = None,
        clock: Callable[[], float] = time.time,
        city_id: str | None = None,
    ) -> None:
        # city_id: sent to Rasa with every message when one gateway serves several cities (docs/cities.md);
        # ``broker`` is then that city's view (channels.cities.CityBroker), so sessions, hand-offs and
        # presence stay inside the city.
        self.city_id = city_id
        self.settings = settings
        self.broker = broker
        self.rasa = rasa
        self.metrics = metrics
        self.clock = clock
        self.city = CityInfo(
            name=settings.city_name or "Ihre Stadt",
            phone=settings.city_phone or "115",
            email=settings.city_email,
            unavailable=settings.handoff_unavailable_text,
        )
        self.instance = secrets.token_hex(4)
        self.rasa_gate = RasaGate(settings, broker, rasa, city=self.city, metrics=metrics, clock=clock, city_id=city_id)
        self.breaker = self.rasa_gate.breaker  # /readyz reports its state
        self.handoff = HandoffQueue()
        self.handoff_ready = asyncio.Event()
        self.callbacks = CallbackDesk(
            broker=broker,
            clock=clock,
            city=self.city,
            history=settings.broker_history,
            retention_s=settings.callback_retention_s,
            notify=self._notify,
            tell=self._tell,
        )
        self.presence = PresenceDesk(
            broker=broker, instance=self.instance, own=lambda: len(self._staff_listeners), clock=clock
        )
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._staff_listeners: set[StaffListener] = set()
        self._typing = TypingThrottle()
        self._quota = ClientQuota(limit=settings.handoff_per_client)  # hand-offs waiting per client address
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._citizen_away: set[str] = set()  # open hand-offs whose citizen closed the chat (from _watch)
        self._folded = FoldMark()

    # ------------------------------------------------------------------ citizen messages
    def _lock(self, session: str) -> asyncio.Lock:
        lock = self._locks.get(session)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session] = lock
        return lock

    async def _publish(self, session: str, message: ChatUser | ChatReply | ChatStatus) -> None:
        await self.broker.publish(chat_topic(session), message)

    async def handle(
        self, session: str, *, text: str, payload: str | None, route: str, client: str | None = None
    ) -> list[ChatReply]:
        """One citizen message: store it, then ask Rasa (or leave it for staff during a hand-off)."""
        if self.metrics:
            self.metrics.chat_messages.labels(route).inc()
        async with self._lock(session):
            text = text.strip()
            payload = payload.strip() if payload else None
            if payload and payload not in offered_payloads(await self.history(session)):
                # Only a button the bot offered in this conversation may speak Rasa's intent syntax.
                log.warning("chat.payload.refused reason=not_offered")
                if self.metrics:
                    self.metrics.errors.labels("payload_refused").inc()
                payload = None
            if not rasa_text(text) and not payload:
                reply = ChatReply(
                    id=secrets.token_urlsafe(12),
                    session=session,
                    sender="system",
                    kind="info",
                    text=texts.empty(),
                    ts=self.clock(),
                )
                await self._publish(session, reply)
                return [reply]
            await self._publish(
                session,
                ChatUser(
                    id=secrets.token_urlsafe(12),
                    session=session,
                    text=text or payload or "",
                    payload=payload,
                    ts=self.clock(),
                ),
            )
            if self.handoff.routes_to_staff(session):
                return []  # staff sees it through chat:{session}; the assistant stays silent
            outcome = await self.rasa_gate.ask(session, payload or rasa_text(text))
            for reply in outcome.replies:
                await self._publish(session, reply)
            if outcome.handoff:
                await self.request_handoff(session, client=client)
            return list(outcome.replies)

    async def _tell(self, session: str, text: str) -> None:
        """A note from the gateway itself into the conversation."""
        reply = ChatReply(
            id=secrets.token_urlsafe(12), session=session, sender="system", kind="info", text=text, ts=self.clock()
        )
        await self._publish(session, reply)

    async def known_session(self, session: str) -> bool:
        """Whether ``session`` has any stored message or an open hand-off."""
        if self.handoff.routes_to_staff(session):
            return True
        return bool(await self.broker.history(chat_topic(session), count=1))

    async def history(self, session: str) -> list[ChatEvent]:
        return (await self.history_since(session))[0]

    async def history_since(self, session: str) -> tuple[list[ChatEvent], str]:
        """The stored conversation and the id to subscribe ``since`` so nothing newer is missed."""
        envelopes = await self.broker.history(chat_topic(session), count=self.settings.chat_history)
        messages = [e.message for e in envelopes if isinstance(e.message, ChatUser | ChatReply | ChatStatus)]
        return messages, envelopes[-1].id if envelopes else "0-0"

    # ------------------------------------------------------------------ hand-off
    async def request_handoff(self, session: str, *, client: str | None = None) -> bool:
        """Queue ``session`` for staff. ``client`` (the address it came from) may have at most
        ``handoff_per_client`` conversations waiting on this instance; past that the citizen is told to
        wait or call, so one address cannot flood the staff queue."""
        event = self.handoff.request(session, now=self.clock(), origin=self.instance)
        if event is None:
            return False
        if not self.staff_online():
            # Nobody in any staff console: say so at once, with the other ways to reach the city, instead of
            # queueing the citizen for a wait that can only end in a timeout.
            log.info("chat.handoff.unavailable reason=no_staff_online")
            if self.metrics:
                self.metrics.handoffs.labels("unavailable").inc()
            await self._publish(
                session,
                ChatStatus(
                    status="handoff_unavailable",
                    text=texts.status("handoff_unavailable", self.city),
                    session=session,
                    ts=self.clock(),
                ),
            )
            return False
        if client is not None and not self._quota.admit(client, session):
            log.warning("chat.handoff.refused reason=per_client_limit waiting=%d", self._quota.waiting(client))
            await self._tell(session, texts.handoff_limit(self.city))
            return False
        await self.broker.publish(HANDOFF_TOPIC, event)
        return True

    async def _wait_folded(self, msg_id: str) -> None:
        """Wait until this instance's listener has folded the event ``msg_id`` (read-your-writes)."""
        await self._folded.wait(msg_id)

    async def cancel_handoff(self, session: str) -> bool:
        """The citizen withdraws a request nobody has taken; False when there was none to withdraw."""
        event = self.handoff.cancel(session, now=self.clock(), origin=self.instance)
        if event is None:
            return False
        await self._wait_folded(await self.broker.publish(HANDOFF_TOPIC, event))
        return True

    async def staff_take(self, session: str, *, staff: str) -> None:
        event = self.handoff.take(session, staff=staff, now=self.clock(), origin=self.instance)
        await self._wait_folded(await self.broker.publish(HANDOFF_TOPIC, event))
        conversation = self.handoff.get(session)
        if conversation is None or conversation.staff != staff:
            raise HandoffConflict(
                f"staff.take: {session!r} went to {conversation.staff if conversation else None!r} first",
                code="already_taken",
                german="Dieses Gespräch wurde bereits übernommen.",
            )

    async def staff_send(self, session: str, *, staff: str, text: str) -> ChatReply:
        self.handoff.check_assigned(session, staff=staff)
        reply = ChatReply(
            id=secrets.token_urlsafe(12),
            session=session,
            sender="staff",
            kind="staff",
            text=text.strip(),
            title=staff,
            ts=self.clock(),
        )
        await self._publish(session, reply)
        self._typing.forget(session)  # the widget hides "schreibt" with the message
        return reply

    async def staff_typing(self, session: str, *, staff: str) -> None:
        """Staff type in ``session``: the citizen sees "… schreibt" (live only, throttled per conversation)."""
        self.handoff.check_assigned(session, staff=staff)
        if self._typing.allow(session, now=self.clock()):
            typing = ChatTyping(session=session, name=staff, ts=self.clock())
            await self.broker.publish(chat_topic(session), typing, durable=False)

    async def staff_release(self, session: str, *, staff: str) -> None:
        event = self.handoff.release(session, staff=staff, now=self.clock(), origin=self.instance)
        await self._wait_folded(await self.broker.publish(HANDOFF_TOPIC, event))

    def status_frame(self, conversation: Conversation) -> ChatStatus:
        kind = _STATUS_FOR[conversation.state]
        if kind == "handoff_ended" and conversation.staff is None:
            kind = "handoff_cancelled"  # ended before anybody took it: only the citizen does that
        position = timeout_s = None
        if conversation.state is HandoffState.WAITING:
            position = self.handoff.position(conversation.session)
            timeout_s = self._timeout_left(conversation)
        return ChatStatus(
            status=kind,
            text=texts.status(kind, self.city, position=position, timeout_s=timeout_s),
            session=conversation.session,
            position=position,
            timeout_s=timeout_s,
            ts=self.clock(),
        )

    async def _announce_positions(self) -> None:
        """Someone left the queue: the citizens this instance queued hear their new place (live only)."""
        for c in self.handoff.open_conversations():
            if c.state is HandoffState.WAITING and c.origin == self.instance:
                try:
                    await self.broker.publish(chat_topic(c.session), self.status_frame(c), durable=False)
                except BrokerError as exc:
                    log.warning("chat.handoff.position_not_sent error=%s", exc)

    async def _applied(self, event: HandoffEvent, conversation: Conversation) -> None:
        if self.metrics:
            self.metrics.handoffs.labels(event.state).inc()
        log.info("chat.handoff.%s instance=%s", event.state, self.instance)
        if event.origin == self.instance:
            # The instance that proposed the change tells the citizen, wherever they are connected.
            await self._publish(event.session, self.status_frame(conversation))
        if conversation.open and event.session not in self._watchers:
            self._watchers[event.session] = asyncio.create_task(self._watch(event.session))
        elif not conversation.open and (task := self._watchers.pop(event.session, None)) is not None:
            task.cancel()
        if conversation.state is not HandoffState.WAITING:
            self._quota.left_waiting(event.session)
            await self._announce_positions()
        if not conversation.open:
            self._citizen_away.discard(event.session)
            self._typing.forget(event.session)
        if self._staff_listeners:
            # A delta, not the whole queue: only a conversation new to the queue brings its history.
            new = conversation.state is HandoffState.WAITING
            history = tuple(await self.history(conversation.session)) if new else None
            self._notify(self._staff_update(conversation, history=history))

    def _timeout_left(self, conversation: Conversation) -> float | None:
        """Seconds until a waiting conversation times out (None for any other state)."""
        if conversation.state is not HandoffState.WAITING:
            return None
        elapsed = self.clock() - conversation.waiting_since
        return max(0.0, round(self.settings.handoff_timeout_s - elapsed, 1))

    def _staff_update(self, conversation: Conversation, *, history: tuple[ChatEvent, ...] | None) -> StaffUpdate:
        return StaffUpdate(
            session=conversation.session,
            status=conversation.state.value,
            waiting_since=conversation.waiting_since,
            staff=conversation.staff,
            history=history,
            timeout_s=self._timeout_left(conversation),
            citizen_present=conversation.session not in self._citizen_away,
        )

    async def run_handoff_listener(self) -> None:
        """Fold the shared ``handoff`` topic into this instance's queue (runs for the app's lifetime)."""
        await fold_topic(
            self.broker,
            HANDOFF_TOPIC,
            history=self.settings.broker_history,
            rebuild=self._rebuild_handoff,
            apply=self._apply_handoff,
            folded=self._folded,
            name="chat.handoff",
        )

    async def _rebuild_handoff(self, backlog: Sequence[Envelope]) -> None:
        """The queue from stored events, quietly (no status frames for old events); consoles resync."""
        self.handoff = HandoffQueue()
        for envelope in backlog:
            if isinstance(envelope.message, HandoffEvent):
                self.handoff.apply(envelope.message)
        for c in self.handoff.open_conversations():
            if c.session not in self._watchers:
                self._watchers[c.session] = asyncio.create_task(self._watch(c.session))
        self.handoff_ready.set()
        self._notify(StaffResync())  # rebuilt: consoles get the whole queue once

    async def _apply_handoff(self, envelope: Envelope) -> None:
        if isinstance(message := envelope.message, HandoffEvent):
            conversation = self.handoff.apply(message)
            if conversation is not None:
                await self._applied(message, conversation)

    async def run_handoff_timer(self, *, interval_s: float = 1.0) -> None:
        """Announce timeouts of conversations nobody took (this instance's, or abandoned ones)."""
        while True:
            await asyncio.sleep(interval_s)
            for event in self.handoff.expire(
                now=self.clock(), timeout_s=self.settings.handoff_timeout_s, origin=self.instance
            ):
                try:
                    await self.broker.publish(HANDOFF_TOPIC, event)
                except BrokerError as exc:
                    log.warning("chat.handoff.timeout_publish_failed error=%s", exc)

    # ------------------------------------------------------------------ staff presence
    def staff_online(self) -> int:
        """Staff consoles open now, on this instance and (as last announced) on the others."""
        return self.presence.staff_online()

    def availability(self) -> ChatAvailability:
        waiting = sum(1 for c in self.handoff.open_conversations() if c.state is HandoffState.WAITING)
        return ChatAvailability(staff_online=self.staff_online() > 0, waiting=waiting)

    async def run_presence_announcer(self, *, interval_s: float = PRESENCE_INTERVAL_S) -> None:
        await self.presence.run_announcer(interval_s=interval_s)

    async def run_presence_listener(self) -> None:
        await self.presence.run_listener()

    # ------------------------------------------------------------------ staff consoles
    def add_staff_listener(self, listener: StaffListener) -> None:
        self._staff_listeners.add(listener)
        self.presence.changed()

    def remove_staff_listener(self, listener: StaffListener) -> None:
        self._staff_listeners.discard(listener)
        self.presence.changed()

    async def citizen_connected(self, session: str, *, present: bool) -> None:
        """The citizen's chat connection opened or closed: staff of every instance hear it when the
        conversation is with them (waiting or active); otherwise nothing is published."""
        if not self.handoff.routes_to_staff(session):
            return
        message = CitizenPresence(session=session, present=present, ts=self.clock())
        await self.broker.publish(chat_topic(session), message, durable=False)

    def _citizen_present(self, session: str, *, present: bool) -> None:
        away = session in self._citizen_away
        if present == (not away):
            return
        if present:
            self._citizen_away.discard(session)
        else:
            self._citizen_away.add(session)
        conversation = self.handoff.get(session)
        if conversation is not None and conversation.open:
            self._notify(self._staff_update(conversation, history=None))

    def _notify(self, event: StaffEvent) -> None:
        for listener in list(self._staff_listeners):
            listener(event)

    async def _watch(self, session: str) -> None:
        """Forward new messages of an open conversation to this instance's staff consoles."""
        try:
            async with self.broker.subscribe(chat_topic(session)) as events:
                async for envelope in events:
                    message = envelope.message
                    if isinstance(message, ChatUser | ChatReply | ChatStatus):
                        self._notify(StaffMessage(session=session, message=message))
                    elif isinstance(message, CitizenPresence):
                        self._citizen_present(session, present=message.present)
        except BrokerError as exc:
            log.warning("chat.staff.watch_failed error=%s", exc)

    async def staff_queue(self) -> StaffQueue:
        conversations = []
        for c in self.handoff.open_conversations():
            conversations.append(
                StaffConversation(
                    session=c.session,
                    status=c.state.value,
                    waiting_since=c.waiting_since,  # type: ignore[arg-type]
                    staff=c.staff,
                    history=tuple(await self.history(c.session)),
                    timeout_s=self._timeout_left(c),
                    citizen_present=c.session not in self._citizen_away,
                )
            )
        return StaffQueue(conversations=tuple(conversations))

    async def aclose(self) -> None:
        for task in self._watchers.values():
            task.cancel()
        for task in self._watchers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watchers.clear()
