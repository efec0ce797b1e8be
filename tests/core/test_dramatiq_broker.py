"""The waking Redis broker: idle consumers wait on a doorbell the enqueue rings (real Redis)."""
import pytest
from django.conf import settings
from dramatiq.message import Message

from apps.core.dramatiq_broker import WakingRedisBroker

QUEUE = "doorbell-test"


@pytest.fixture
def broker():
    # A broker of its own, in its own namespace: no worker of another test consumes from it.
    broker = WakingRedisBroker(url=settings.REDIS_URL, namespace=f"{settings.CACHE_KEY_PREFIX}-doorbell-test")
    broker.declare_queue(QUEUE)
    broker.flush_all()
    broker.client.delete(broker.wake_key(QUEUE))
    yield broker
    broker.flush_all()
    broker.client.delete(broker.wake_key(QUEUE))
    broker.close()


def _message(n: int) -> Message:
    return Message(queue_name=QUEUE, actor_name="doorbell_actor", args=(n,), kwargs={}, options={})


def test_a_consumer_that_drained_the_queue_waits_for_the_doorbell_then_fetches(broker, monkeypatch):
    fetches = []
    fetch = broker.do_fetch
    monkeypatch.setattr(broker, "do_fetch", lambda *args: fetches.append(args) or fetch(*args), raising=False)
    broker.enqueue(_message(1))  # rings once
    consumer = broker.consume(QUEUE, prefetch=4, timeout=100)
    try:
        first = next(consumer)
        assert first.args == (1,) and len(fetches) == 1  # asked for 4, got 1: the queue is drained
        assert next(consumer) is None and len(fetches) == 1  # the doorbell (its ring is still there), no fetch
        assert next(consumer) is None and len(fetches) == 2  # one fetch after it, empty; then a 100 ms wait
        broker.enqueue(_message(2))
        broker.enqueue(_message(3))
        delivered = [next(consumer), next(consumer)]
        assert [m.args for m in delivered] == [(2,), (3,)] and len(fetches) == 3  # both in one fetch
        for message in (first, *delivered):
            consumer.ack(message)
    finally:
        consumer.close()


def test_a_full_fetch_fetches_again_without_waiting(broker, monkeypatch):
    for n in range(3):
        broker.enqueue(_message(n))
    broker.client.delete(broker.wake_key(QUEUE))  # no doorbell: only the queue itself says there is more
    consumer = broker.consume(QUEUE, prefetch=2, timeout=100)
    try:
        got = [next(consumer), next(consumer)]
        for message in got:
            consumer.ack(message)
        third = next(consumer)  # the first fetch was full (2 of 2): no reason to think the queue empty
        assert [m.args for m in (*got, third)] == [(0,), (1,), (2,)]
        consumer.ack(third)
    finally:
        consumer.close()


def test_an_enqueue_and_its_doorbell_are_one_round_trip(broker, monkeypatch):
    sent = []
    pipeline = broker.client.pipeline
    monkeypatch.setattr(broker.client, "pipeline", lambda *a, **k: sent.append("pipeline") or pipeline(*a, **k))
    execute = broker.client.execute_command
    monkeypatch.setattr(broker.client, "execute_command", lambda *a, **k: sent.append(a[0]) or execute(*a, **k))
    broker.enqueue(_message(1))
    assert sent == ["pipeline"]  # the script by its SHA and the ring, in one pipeline; nothing else
    assert broker.client.llen(broker.wake_key(QUEUE)) == 1
    consumer = broker.consume(QUEUE, prefetch=4, timeout=100)
    try:
        message = next(consumer)
        assert message.args == (1,)
        consumer.ack(message)
    finally:
        consumer.close()


def test_an_enqueue_after_redis_lost_its_scripts_still_enqueues(broker):
    broker.enqueue(_message(1))
    broker.client.script_flush()  # what a Redis restart does: NOSCRIPT for the next EVALSHA
    broker.enqueue(_message(2))
    consumer = broker.consume(QUEUE, prefetch=4, timeout=100)
    try:
        got = [next(consumer), next(consumer)]
        assert sorted(m.args for m in got) == [(1,), (2,)]
        for message in got:
            consumer.ack(message)
    finally:
        consumer.close()


def test_a_delayed_enqueue_rings_no_doorbell(broker):
    broker.enqueue(_message(1), delay=60_000)
    assert broker.client.llen(broker.wake_key(QUEUE)) == 0
    assert broker.client.llen(broker.wake_key(QUEUE + ".DQ")) == 0


def test_the_pipelined_enqueue_sends_what_dramatiqs_own_dispatch_sends(broker, monkeypatch):
    # do_enqueue repeats the argument list of Dramatiq's private _dispatch (pinned 2.2.1): an
    # upgrade that changes it must fail here, not enqueue messages its script misreads.
    import apps.core.dramatiq_broker as module
    import dramatiq.brokers.redis as dramatiq_redis

    monkeypatch.setattr(module, "current_millis", lambda: 1234)
    monkeypatch.setattr(dramatiq_redis, "current_millis", lambda: 1234)
    monkeypatch.setattr(broker, "_should_do_maintenance", lambda command: 0)
    theirs = []

    class Script:
        sha = broker.scripts["dispatch"].sha

        def __call__(self, *, args, keys):
            theirs.append((list(keys), list(args)))

    monkeypatch.setitem(broker.scripts, "dispatch", Script())
    broker._dispatch("enqueue")(QUEUE, "message-id", b"data")
    ours = []
    pipeline = broker.client.pipeline

    def capturing_pipeline(*args, **kwargs):
        pipe = pipeline(*args, **kwargs)
        monkeypatch.setattr(pipe, "evalsha", lambda sha, numkeys, *rest: ours.append(
            (sha, list(rest[:numkeys]), list(rest[numkeys:]))) or pipe)
        return pipe

    monkeypatch.setattr(broker.client, "pipeline", capturing_pipeline)
    broker.do_enqueue(QUEUE, "message-id", b"data")
    assert ours == [(Script.sha, *theirs[0])]
