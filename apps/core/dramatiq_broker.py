"""Dramatiq's Redis broker, with idle consumers woken by the enqueue instead of sleeping.

Dramatiq 2.2's Redis consumer polls an empty queue with an exponential backoff that grows to the
worker timeout (1 s, jittered to 0.5–1 s): a message sent to an idle worker waits on average
hundreds of milliseconds before it is even fetched. Here, an idle consumer of a ready queue
blocks in ``BLPOP`` on a per-queue wake-up list for the same timeout, and every immediate
enqueue pushes one token onto that list (bounded), so the consumer fetches within a round
trip. Delay queues keep Dramatiq's own polling (their messages wait for an ETA anyway). A lost
or extra token only costs one empty fetch or one timeout, never a message: the queue itself is
unchanged, this is only the doorbell.

The enqueue and its ring go to Redis in one round trip (a pipeline: Dramatiq's own dispatch
script by its SHA, then the doorbell), not two: every submitted task pays it."""
from __future__ import annotations

import time

import redis
from dramatiq.broker import MessageProxy
from dramatiq.common import current_millis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message

# Tokens beyond this many are dropped: a burst needs only enough to wake every consumer.
MAX_WAKE_TOKENS = 64


class WakingRedisBroker(RedisBroker):
    def __init__(self, *, url: str | None = None, **parameters):
        if url is not None and "connection_pool" not in parameters and "client" not in parameters:
            from apps.core.redis import redis_pool

            parameters["connection_pool"] = redis_pool(url)  # waits at its cap instead of failing
        super().__init__(**parameters)

    def wake_key(self, queue_name: str) -> str:
        return f"{self.namespace}:{queue_name}.wake"

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000):
        if queue_name.endswith((".DQ", ".XQ")):
            return super().consume(queue_name, prefetch, timeout)
        return _WakingConsumer(self, queue_name, prefetch, timeout)

    def do_enqueue(self, queue_name: str, message_id: str, data: bytes) -> None:
        """Dramatiq's enqueue (its dispatch script, the same arguments its ``_dispatch`` sends),
        with the doorbell in the same round trip; a delayed message (its delay queue) rings none."""
        if queue_name.endswith(".DQ"):
            self._dispatch("enqueue")(queue_name, message_id, data)
            return
        script = self.scripts["dispatch"]
        args = ["enqueue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout, self.dead_message_ttl,
                self._should_do_maintenance("enqueue"), self._max_unpack_size(), message_id, data]
        pipe = self.client.pipeline(transaction=False)
        pipe.evalsha(script.sha, 1, self.namespace, *args)
        pipe.lpush(self.wake_key(queue_name), 1)
        pipe.ltrim(self.wake_key(queue_name), 0, MAX_WAKE_TOKENS - 1)
        enqueued, *_ = pipe.execute(raise_on_error=False)
        if isinstance(enqueued, redis.exceptions.NoScriptError):
            # Redis lost its scripts (a restart): Dramatiq's own call loads it. Nothing was
            # enqueued; the ring that went anyway costs an idle consumer one empty fetch.
            self._dispatch("enqueue")(queue_name, message_id, data)
        elif isinstance(enqueued, Exception):
            raise enqueued


class _WakingConsumer(_RedisConsumer):
    # A fetch that returned fewer messages than it asked for found the queue empty: the next one
    # waits for a doorbell first instead of asking Redis again (measured, that empty fetch was a
    # round trip of every message under load). Every message enqueued after that fetch rings.
    _drained = False

    def __next__(self):
        try:
            while True:
                if self.message_cache:
                    data = self.message_cache.pop(0)
                    if data is None:
                        continue
                    self.misses = 0
                    message = Message.decode(data)
                    self.queued_message_ids.add(message.message_id)
                    return MessageProxy(message)
                if self.outstanding_message_count >= self.prefetch:
                    time.sleep(0.01)  # busy, not idle: leave the doorbell to the other consumers
                    return None
                if not self._drained:
                    wanted = self.prefetch - self.outstanding_message_count
                    self.message_cache = messages = self.broker.do_fetch(self.queue_name, wanted)
                    self._drained = len(messages) < wanted
                    if messages:
                        continue
                # Nothing to fetch: wait for a doorbell, at most the timeout, then fetch again
                # (a lost token costs one timeout, never a message) after handing control back
                # to the consumer thread (acks, shutdown checks).
                self._drained = False
                self.broker.client.blpop([self.broker.wake_key(self.queue_name)], timeout=max(self.timeout / 1000, 0.01))
                return None
        except redis.ConnectionError as e:
            raise ConnectionClosed(e) from None
