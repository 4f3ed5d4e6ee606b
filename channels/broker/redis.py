"""Redis broker: Redis Streams for durable history, pub/sub for live delivery.

* ``publish(durable=True)`` runs one Lua script: ``XADD <prefix>stream:<topic> MAXLEN ~ N * m <json>``
  then ``PUBLISH <prefix>live:<topic> "<id> 1 <json>"`` — atomic, so live order equals stream order.
  Durable publishes retry with backoff for up to ``publish_retry_s`` while Redis restarts.
* ``publish(durable=False)`` only PUBLISHes (subtitle partials).
* Commands share one *blocking* connection pool of ``max_connections``: when all are busy, a caller waits
  up to ``pool_timeout_s`` for one instead of failing (redis-py's default pool raises "Too many
  connections" at once, which turned a burst of 300 viewers or chat connects into errors).
* One pub/sub connection per broker, shared by all local subscribers (a gateway instance subscribes once
  per topic). A reader task dispatches messages to per-subscriber queues. When the connection drops it
  reconnects with backoff, re-subscribes, and tells every subscriber to re-read the stream after the last
  id it saw, so no durable message is lost; ids make the overlap between replay and live deduplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import cast

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from channels.broker.base import DEFAULT_HISTORY, Broker, Envelope, Subscription
from channels.errors import BrokerError
from channels.messages import BrokerMessage, parse_broker_message

__all__ = ["RedisBroker"]

log = logging.getLogger(__name__)

_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[2])
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
redis.call('PUBLISH', KEYS[2], id .. ' 1 ' .. ARGV[2])
return id
"""

_Entry = tuple[str, dict[str, str]]  # (id, fields) of a stream entry, decoded


class RedisBroker(Broker):
    def __init__(
        self,
        url: str,
        *,
        history_size: int = DEFAULT_HISTORY,
        prefix: str = "rathaus:",
        retention: dict[str, int] | None = None,
        publish_retry_s: float = 10.0,
        queue_size: int = 10_000,
        max_connections: int = 50,
        pool_timeout_s: float = 10.0,
    ) -> None:
        """``max_connections``: command connections to Redis (pub/sub has its own one); a command that finds
        them all busy waits up to ``pool_timeout_s`` for one, then fails with a :class:`BrokerError`."""
        if max_connections < 1 or pool_timeout_s <= 0:
            raise BrokerError(
                f"RedisBroker needs max_connections >= 1 and pool_timeout_s > 0, got {max_connections} and"
                f" {pool_timeout_s}; check RATHAUS_BROKER_POOL_SIZE and RATHAUS_BROKER_POOL_TIMEOUT_S"
            )
        self.url = url
        self._history_size = history_size
        self._prefix = prefix
        self._retention = dict(retention or {"chat:": 24 * 3600})
        self._publish_retry_s = publish_retry_s
        self._queue_size = queue_size
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_timeout_s,
            decode_responses=True,
            socket_connect_timeout=2,
        )
        self._redis = aioredis.Redis.from_pool(pool)  # the client owns the pool and closes it
        # The pub/sub connection must not retry silently: we must know when it dropped to re-sync.
        self._sub_redis = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2,
            socket_timeout=None,
        )
        self._script = self._redis.register_script(_PUBLISH)
        self._pubsub: aioredis.client.PubSub | None = None
        self._locals: dict[str, set[Subscription]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._lock = asyncio.Lock()
        self._closed = False
        self._seq = 0

    # ------------------------------------------------------------------ keys
    def _stream_key(self, topic: str) -> str:
        return f"{self._prefix}stream:{topic}"

    def _channel(self, topic: str) -> str:
        return f"{self._prefix}live:{topic}"

    def _ttl(self, topic: str) -> int:
        return next((ttl for prefix, ttl in self._retention.items() if topic.startswith(prefix)), 0)

    # ------------------------------------------------------------------ publish / history
    async def publish(self, topic: str, message: BrokerMessage, *, durable: bool = True) -> str:
        if self._closed:
            raise BrokerError(f"publish to {topic!r} on a closed RedisBroker")
        payload = message.model_dump_json()
        if not durable:
            self._seq += 1
            msg_id = f"{int(time.time() * 1000)}-{self._seq}"
            try:
                await self._redis.publish(self._channel(topic), f"{msg_id} 0 {payload}")
            except (RedisError, OSError) as exc:
                # Live-only messages are allowed to be lost; say so once per failure.
                log.warning("broker.redis.publish_live_failed topic=%s error=%s", topic, exc)
            return msg_id
        deadline = time.monotonic() + self._publish_retry_s
        delay = 0.05
        while True:
            try:
                result = await self._script(
                    keys=[self._stream_key(topic), self._channel(topic)],
                    args=[self._history_size, payload, self._ttl(topic)],
                )
                return str(result)
            except (RedisError, OSError) as exc:
                if time.monotonic() + delay > deadline or self._closed:
                    raise BrokerError(
                        f"cannot publish to {topic!r} on {self.url}: {exc}; is redis-server running?"
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _envelopes(self, topic: str, entries: list[_Entry]) -> list[Envelope]:
        result = []
        for msg_id, fields in entries:
            try:
                result.append(Envelope(id=msg_id, topic=topic, message=parse_broker_message(fields["m"])))
            except (KeyError, BrokerError, ValueError) as exc:
                log.warning("broker.redis.bad_entry topic=%s id=%s error=%s", topic, msg_id, exc)
        return result

    async def history(self, topic: str, *, count: int = 100) -> list[Envelope]:
        if count <= 0:
            return []
        try:
            entries = cast(list[_Entry], await self._redis.xrevrange(self._stream_key(topic), count=count))
        except (RedisError, OSError) as exc:
            raise BrokerError(
                f"cannot read history of {topic!r} from {self.url}: {exc}; is redis-server running? (if all"
                " connections were busy, raise RATHAUS_BROKER_POOL_SIZE or RATHAUS_BROKER_POOL_TIMEOUT_S)"
            ) from exc
        return self._envelopes(topic, list(reversed(entries)))

    async def history_after(self, topic: str, since: str | None) -> list[Envelope]:
        low = "-" if since is None else f"({since}"
        try:
            entries = cast(list[_Entry], await self._redis.xrange(self._stream_key(topic), min=low, max="+"))
        except (RedisError, OSError) as exc:
            raise BrokerError(
                f"cannot read history of {topic!r} from {self.url}: {exc}; is redis-server running?"
            ) from exc
        return self._envelopes(topic, entries)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def delete(self, topic: str) -> None:
        await self._redis.delete(self._stream_key(topic))

    async def remove(self, topic: str, ids: Iterable[str]) -> None:
        doomed = list(ids)
        if not doomed:
            return
        try:
            await self._redis.xdel(self._stream_key(topic), *doomed)
        except (RedisError, OSError) as exc:
            raise BrokerError(
                f"cannot remove messages of {topic!r} on {self.url}: {exc}; is redis-server running?"
            ) from exc

    # ------------------------------------------------------------------ subscribe
    @contextlib.asynccontextmanager
    async def _listen(self, topic: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise BrokerError(f"subscribe to {topic!r} on a closed RedisBroker")
        local = Subscription(self._queue_size)
        await self._add_local(topic, local)
        try:
            yield local
        finally:
            await self._remove_local(topic, local)

    async def _add_local(self, topic: str, local: Subscription) -> None:
        async with self._lock:
            first = topic not in self._locals
            self._locals.setdefault(topic, set()).add(local)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_loop(), name="redis-broker-reader")
        if first:
            await self._connected.wait()
            with contextlib.suppress(RedisError, OSError):
                if self._pubsub is not None:
                    await self._pubsub.subscribe(self._channel(topic))
            # If that failed, the reader reconnects and re-subscribes every topic in self._locals.

    async def _remove_local(self, topic: str, local: Subscription) -> None:
        async with self._lock:
            locals_ = self._locals.get(topic)
            if locals_ is None:
                return
            locals_.discard(local)
            if locals_:
                return
            del self._locals[topic]
        with contextlib.suppress(RedisError, OSError):
            if self._pubsub is not None and self._connected.is_set():
                await self._pubsub.unsubscribe(self._channel(topic))

    def _dispatch(self, channel: str, data: str) -> None:
        topic = channel[len(self._prefix) + len("live:") :]
        msg_id, _, rest = data.partition(" ")
        durable, _, payload = rest.partition(" ")
        try:
            envelope = Envelope(id=msg_id, topic=topic, message=parse_broker_message(payload), durable=durable == "1")
        except (BrokerError, ValueError) as exc:
            log.warning("broker.redis.bad_live_message topic=%s error=%s", topic, exc)
            return
        for local in self._locals.get(topic, ()):
            local.offer(envelope)  # a full queue marks it lagged: it re-reads the stream when it reads again

    def _locals_all(self) -> list[Subscription]:
        return [local for locals_ in self._locals.values() for local in locals_]

    async def _read_loop(self) -> None:
        delay = 0.1
        first = True
        while not self._closed:
            pubsub = self._sub_redis.pubsub(ignore_subscribe_messages=True)
            try:
                channels = [self._channel(t) for t in self._locals] or [self._channel("_keepalive")]
                await pubsub.subscribe(*channels)
                self._pubsub = pubsub
                self._connected.set()
                if not first:
                    log.info("broker.redis.reconnected url=%s topics=%d", self.url, len(self._locals))
                    for local in self._locals_all():
                        local.resync()
                first = False
                delay = 0.1
                while not self._closed:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._dispatch(str(message["channel"]), str(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._connected.clear()
                log.warning("broker.redis.disconnected url=%s retry_in=%.1fs error=%s", self.url, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for local in self._locals_all():
            local.end()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._redis.aclose()
        await self._sub_redis.aclose()
