"""The gateway's chat service: Rasa calls behind a circuit breaker, one message at a time per session,
every chat event published to ``chat:{session}``, and the hand-off queue shared through the broker.

Rasa calls go through an :class:`~channels.admission.Admission`: at most ``rasa_concurrency`` in flight per
instance, the others wait in order (up to ``rasa_queue_timeout_s``), and their citizens get a live
``chat.waiting`` message. A call that reached Rasa is never given up before ``rasa_timeout_s`` (default
30 s), so Rasa does not work on questions nobody waits for any more. Only connection failures count
toward the circuit breaker: a slow Rasa is busy, not gone.

Shell around the sans-I/O cores :mod:`channels.chat` and :mod:`channels.handoff`: it owns the timers, the
locks and the broker subscriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from channels.admission import Admission, Queued, Refused
from channels.broker import Broker, FoldMark
from channels.callback_desk import CallbackDesk
from channels.chat import (
    BreakerState,
    ChatOutcome,
    CircuitBreaker,
    CityInfo,
    StatusKind,
    map_rasa_messages,
    texts,
)
from channels.errors import BrokerError
from channels.handoff import Conversation, HandoffConflict, HandoffQueue, HandoffState
from channels.messages import (
    ChatAvailability,
    ChatEvent,
    ChatReply,
    ChatStatus,
    ChatUser,
    ChatWaiting,
    CitizenPresence,
    HandoffEvent,
    StaffCallbacks,
    StaffConversation,
    StaffMessage,
    StaffPresence,
    StaffQueue,
    StaffUpdate,
)
from channels.metrics import GatewayMetrics
from channels.presence import PresenceBoard
from channels.rasa_client import RasaClient, RasaUnavailable, RasaUnreachable
from channels.rasa_input import offered_payloads, rasa_text
from channels.settings import GatewaySettings

__all__ = [
    "ChatService",
    "StaffEvent",
    "StaffListener",
    "StaffResync",
    "chat_topic",
    "new_session_id",
    "valid_session_id",
]

log = logging.getLogger(__name__)

HANDOFF_TOPIC = "handoff"
PRESENCE_TOPIC = "presence"
PRESENCE_INTERVAL_S = 5.0  # how often an instance announces its staff count; absent after 3 intervals
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
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


def chat_topic(session: str) -> str:
    return f"chat:{session}"


def new_session_id() -> str:
    """32 URL-safe random characters (192 bits): unguessable."""
    return secrets.token_urlsafe(24)


def valid_session_id(value: str | None) -> bool:
    return value is not None and bool(_SESSION_RE.fullmatch(value))


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
        self.breaker = CircuitBreaker(
            failures=settings.rasa_breaker_failures, retry_after_s=settings.rasa_retry_after_s
        )
        self.admission: Admission[asyncio.Future[None]] = Admission(
            limit=settings.rasa_concurrency, max_waiting=settings.rasa_queue_max
        )
        self.handoff = HandoffQueue()
        self.handoff_ready = asyncio.Event()
        self.callbacks = CallbackDesk(
            broker=broker,
            clock=clock,
            city=self.city,
            history=settings.broker_history,
            notify=self._notify,
            tell=self._tell,
        )
        self.presence = PresenceBoard(instance=self.instance, ttl_s=3 * PRESENCE_INTERVAL_S)
        self._presence_changed = asyncio.Event()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._staff_listeners: set[StaffListener] = set()
        self._handoff_clients: dict[str, set[str]] = {}  # client address -> its sessions waiting for staff
        self._handoff_client: dict[str, str] = {}  # session -> the client address that queued it
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
            outcome = await self._ask_rasa(session, payload or rasa_text(text))
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

    def _unavailable(self, session: str, text: str | None = None) -> ChatOutcome:
        if self.metrics:
            self.metrics.unavailable.inc()
        reply = ChatReply(
            id=secrets.token_urlsafe(12),
            session=session,
            sender="system",
            kind="unavailable",
            text=text or texts.unavailable(self.city),
            ts=self.clock(),
        )
        return ChatOutcome(replies=(reply,))

    async def _ask_rasa(self, session: str, message: str) -> ChatOutcome:
        """Wait for a call slot (telling the citizen when there is a queue), then call Rasa."""
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        decision = self.admission.request(ticket)
        if isinstance(decision, Refused):
            log.warning("chat.rasa.queue_full waiting=%d", decision.waiting)
            return self._unavailable(session, texts.busy(self.city))
        if isinstance(decision, Queued) and not await self._wait_turn(session, ticket, decision.position):
            return self._unavailable(session, texts.busy(self.city))
        try:
            return await self._call_rasa(session, message)
        finally:
            self._pass_slot()

    async def _wait_turn(self, session: str, ticket: asyncio.Future[None], position: int) -> bool:
        """Wait until ``ticket`` holds a call slot; False when it gave up after ``rasa_queue_timeout_s``."""
        started = time.monotonic()
        if self.metrics:
            self.metrics.rasa_waiting.set(self.admission.waiting)
        log.info("chat.rasa.queued position=%d in_flight=%d", position, self.admission.in_flight)
        waiting = ChatWaiting(session=session, position=position, text=texts.waiting(position), ts=self.clock())
        try:
            try:
                await self.broker.publish(chat_topic(session), waiting, durable=False)
            except BrokerError as exc:  # only a courtesy: the question itself still waits for its turn
                log.warning("chat.rasa.waiting_not_sent error=%s", exc)
            await asyncio.wait_for(asyncio.shield(ticket), self.settings.rasa_queue_timeout_s)
            outcome = "admitted"
        except TimeoutError:
            if self.admission.withdraw(ticket):
                log.warning("chat.rasa.queue_timeout waited=%.1fs", time.monotonic() - started)
                outcome = "timeout"
            else:
                outcome = "admitted"  # the slot came in the same instant: use it
        except asyncio.CancelledError:
            if not self.admission.withdraw(ticket):
                self._pass_slot()  # it holds a slot it will not use
            raise
        finally:
            if self.metrics:
                self.metrics.rasa_waiting.set(self.admission.waiting)
        if self.metrics:
            self.metrics.rasa_queue_wait.labels(outcome).observe(time.monotonic() - started)
        return outcome == "admitted"

    def _pass_slot(self) -> None:
        """A call is over: its slot goes to the next waiting message, if any."""
        ticket = self.admission.release()
        if ticket is not None and not ticket.done():
            ticket.set_result(None)

    async def _call_rasa(self, session: str, message: str) -> ChatOutcome:
        started = time.monotonic()
        if not self.breaker.allow(started):
            return self._unavailable(session)
        try:
            # No wait_for around it: the client's own total timeout (rasa_timeout_s) is the only limit, so
            # a question Rasa is working on is not abandoned early.
            raw = await self.rasa.send(session, message, city=self.city_id)
        except RasaUnavailable as exc:
            if isinstance(exc, RasaUnreachable):
                self.breaker.failure(time.monotonic())
            else:
                self.breaker.success()  # slow or an HTTP error, but reachable: not the breaker's business
            if self.metrics:
                self.metrics.rasa_latency.labels("error").observe(time.monotonic() - started)
            log.warning("chat.rasa.unavailable breaker=%s error=%s", self.breaker.state, exc)
            return self._unavailable(session)
        if self.breaker.state is not BreakerState.CLOSED:
            log.info("chat.rasa.recovered")
        self.breaker.success()
        if self.metrics:
            self.metrics.rasa_latency.labels("ok").observe(time.monotonic() - started)
        outcome = map_rasa_messages(raw, session=session, new_id=lambda: secrets.token_urlsafe(12), now=self.clock())
        if not outcome.replies and not outcome.handoff:
            # Rasa without an answer: typically its action server is down (see /readyz "actions").
            log.warning("chat.rasa.empty_reply")
            if self.metrics:
                self.metrics.unavailable.inc()
            reply = ChatReply(
                id=secrets.token_urlsafe(12),
                session=session,
                sender="system",
                kind="unavailable",
                text="Entschuldigung, darauf habe ich gerade keine Antwort. Sie erreichen den Bürgerservice "
                f"telefonisch unter {self.city.phone}.",
                ts=self.clock(),
            )
            return ChatOutcome(replies=(reply,))
        return outcome

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
        if client is not None:
            queued = self._handoff_clients.setdefault(client, set())
            if len(queued) >= self.settings.handoff_per_client:
                log.warning("chat.handoff.refused reason=per_client_limit waiting=%d", len(queued))
                await self._publish(
                    session,
                    ChatReply(
                        id=secrets.token_urlsafe(12),
                        session=session,
                        sender="system",
                        kind="info",
                        text=texts.handoff_limit(self.city),
                        ts=self.clock(),
                    ),
                )
                return False
            # Counted from the proposal on (not when folded), so a burst of requests is limited too;
            # it stops counting when the conversation leaves the waiting state (_applied).
            queued.add(session)
            self._handoff_client[session] = client
        await self.broker.publish(HANDOFF_TOPIC, event)
        return True

    def _handoff_left_waiting(self, session: str) -> None:
        client = self._handoff_client.pop(session, None)
        if client is not None and (queued := self._handoff_clients.get(client)) is not None:
            queued.discard(session)
            if not queued:
                del self._handoff_clients[client]

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
        return reply

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
            self._handoff_left_waiting(event.session)
            await self._announce_positions()
        if not conversation.open:
            self._citizen_away.discard(event.session)
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
        delay = 0.1
        while True:
            try:
                # History first: rebuild the state quietly (no status frames for old events) ...
                backlog = await self.broker.history(HANDOFF_TOPIC, count=self.settings.broker_history)
                self.handoff = HandoffQueue()
                for envelope in backlog:
                    if isinstance(envelope.message, HandoffEvent):
                        self.handoff.apply(envelope.message)
                for c in self.handoff.open_conversations():
                    if c.session not in self._watchers:
                        self._watchers[c.session] = asyncio.create_task(self._watch(c.session))
                self.handoff_ready.set()
                self._notify(StaffResync())  # rebuilt: consoles get the whole queue once
                # ... then everything after it, live ("0-0": from the start of an empty topic, no gap).
                since = backlog[-1].id if backlog else "0-0"
                async with self.broker.subscribe(HANDOFF_TOPIC, since=since) as events:
                    delay = 0.1
                    async for envelope in events:
                        if isinstance(envelope.message, HandoffEvent):
                            conversation = self.handoff.apply(envelope.message)
                            if conversation is not None:
                                await self._applied(envelope.message, conversation)
                        await self._folded.mark(envelope.id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat.handoff.listener_failed retry_in=%.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

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
        return self.presence.staff_online(own=len(self._staff_listeners), now=time.monotonic())

    def availability(self) -> ChatAvailability:
        waiting = sum(1 for c in self.handoff.open_conversations() if c.state is HandoffState.WAITING)
        return ChatAvailability(staff_online=self.staff_online() > 0, waiting=waiting)

    async def run_presence_announcer(self, *, interval_s: float = PRESENCE_INTERVAL_S) -> None:
        """Tell the other instances how many staff consoles this one holds: on change and every interval."""
        while True:
            self._presence_changed.clear()
            announcement = StaffPresence(instance=self.instance, staff=len(self._staff_listeners), ts=self.clock())
            try:
                await self.broker.publish(PRESENCE_TOPIC, announcement, durable=False)
            except BrokerError as exc:
                log.warning("chat.presence.publish_failed error=%s", exc)
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancel that arrives as
            # the event is set (a console closing at shutdown), and the task would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval_s):
                    await self._presence_changed.wait()

    async def run_presence_listener(self) -> None:
        """Fold the other instances' announcements (live only: the first ones come within an interval)."""
        delay = 0.1
        while True:
            try:
                async with self.broker.subscribe(PRESENCE_TOPIC) as events:
                    delay = 0.1
                    async for envelope in events:
                        if isinstance(envelope.message, StaffPresence):
                            self.presence.apply(envelope.message, now=time.monotonic())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat.presence.listener_failed retry_in=%.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # ------------------------------------------------------------------ staff consoles
    def add_staff_listener(self, listener: StaffListener) -> None:
        self._staff_listeners.add(listener)
        self._presence_changed.set()

    def remove_staff_listener(self, listener: StaffListener) -> None:
        self._staff_listeners.discard(listener)
        self._presence_changed.set()

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
