"""Rasa calls for one gateway instance: queued behind an :class:`~channels.admission.Admission`, guarded by
a :class:`~channels.chat.CircuitBreaker`.

At most ``rasa_concurrency`` calls are in flight per instance, the others wait in order (up to
``rasa_queue_timeout_s``), and their citizens get a live ``chat.waiting`` message. A call that reached Rasa
is never given up before ``rasa_timeout_s`` (default 30 s), so Rasa does not work on questions nobody waits
for any more. Only connection failures count toward the circuit breaker: a slow Rasa is busy, not gone.
Every way a call can fail ends in a ``chat.reply`` of kind ``unavailable`` that tells the citizen how else
to reach the city.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from channels.admission import Admission, Queued, Refused
from channels.broker import Broker
from channels.chat import BreakerState, ChatOutcome, CircuitBreaker, CityInfo, map_rasa_messages, texts
from channels.errors import BrokerError
from channels.messages import ChatReply, ChatWaiting
from channels.metrics import GatewayMetrics
from channels.rasa_client import RasaClient, RasaUnavailable, RasaUnreachable
from channels.settings import GatewaySettings
from channels.topics import chat_topic

__all__ = ["RasaGate"]

log = logging.getLogger(__name__)


class RasaGate:
    def __init__(
        self,
        settings: GatewaySettings,
        broker: Broker,
        rasa: RasaClient,
        *,
        city: CityInfo,
        metrics: GatewayMetrics | None,
        clock: Callable[[], float],
        city_id: str | None,
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.rasa = rasa
        self.city = city
        self.metrics = metrics
        self.clock = clock
        self.city_id = city_id
        self.breaker = CircuitBreaker(
            failures=settings.rasa_breaker_failures, retry_after_s=settings.rasa_retry_after_s
        )
        self.admission: Admission[asyncio.Future[None]] = Admission(
            limit=settings.rasa_concurrency, max_waiting=settings.rasa_queue_max
        )

    def unavailable(self, session: str, text: str | None = None) -> ChatOutcome:
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

    async def ask(self, session: str, message: str) -> ChatOutcome:
        """Rasa's answer to ``message`` in ``session``: wait for a call slot (telling the citizen when there
        is a queue), then call Rasa."""
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        decision = self.admission.request(ticket)
        if isinstance(decision, Refused):
            log.warning("chat.rasa.queue_full waiting=%d", decision.waiting)
            return self.unavailable(session, texts.busy(self.city))
        if isinstance(decision, Queued) and not await self._wait_turn(session, ticket, decision.position):
            return self.unavailable(session, texts.busy(self.city))
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
            return self.unavailable(session)
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
            return self.unavailable(session)
        if self.breaker.state is not BreakerState.CLOSED:
            log.info("chat.rasa.recovered")
        self.breaker.success()
        if self.metrics:
            self.metrics.rasa_latency.labels("ok").observe(time.monotonic() - started)
        outcome = map_rasa_messages(raw, session=session, new_id=lambda: secrets.token_urlsafe(12), now=self.clock())
        if not outcome.replies and not outcome.handoff:
            # Rasa without an answer: typically its action server is down (see /readyz "actions").
            log.warning("chat.rasa.empty_reply")
            return self.unavailable(
                session,
                "Entschuldigung, darauf habe ich gerade keine Antwort. Sie erreichen den Bürgerservice "
                f"telefonisch unter {self.city.phone}.",
            )
        return outcome
