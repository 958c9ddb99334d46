"""The kombu and Celery internals poli's transport and held-messages refresher rely on
(engine/runtime/delivery/{transport,held_messages,unacked}.py): their names, signatures and
defaults. pyproject.toml pins celery and kombu to the minor tested; this test fails first
when a new one changes what poli subclasses or reads, before a worker silently redelivers."""

from __future__ import annotations

import inspect

import pytest
from celery.worker import components, state
from kombu.asynchronous import Hub
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

from engine.runtime.delivery import transport


def parameters(function) -> list[str]:
    return [str(p) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (kombu_redis.QoS.append, ["self", "message", "delivery_tag"]),
        (kombu_redis.QoS.restore_visible, ["self", "start=0", "num=10", "interval=10"]),
        (virtual.QoS.append, ["self", "message", "delivery_tag"]),
        (kombu_redis.Mutex, ["client", "name", "expire"]),
        (kombu_redis.Channel.conn_or_acquire, ["self", "client=None"]),
        (kombu_redis.Channel._create_client, ["self", "asynchronous=False"]),
        (kombu_redis.Channel._lookup, ["self", "exchange", "routing_key", "default=None"]),
        (kombu_redis.Channel._get_message_priority, ["self", "message", "reverse=False"]),
        (kombu_redis.Channel._q_for_pri, ["self", "queue", "pri"]),
        (kombu_redis.Channel.close, ["self"]),
        # the atomic fetch (engine/runtime/delivery/fetch.py) replaces these two, which
        # MultiChannelPoller calls (start when the channel may consume, read when readable)
        (kombu_redis.Channel._brpop_start, ["self", "timeout=None"]),
        (kombu_redis.Channel._brpop_read, ["self", "**options"]),
        (kombu_redis.Channel._flush_brpop_reauth, ["self"]),
        (kombu_redis.Channel.basic_consume, ["self", "queue", "*args", "**kwargs"]),
        (
            virtual.Channel.basic_consume,
            ["self", "queue", "no_ack", "callback", "consumer_tag", "**kwargs"],
        ),
        (kombu_redis.MultiChannelPoller.maybe_restore_messages, ["self"]),
        (kombu_redis.Transport.register_with_event_loop, ["self", "connection", "loop"]),
        (Hub.call_at, ["self", "when", "callback", "*args"]),
    ],
    ids=lambda value: getattr(value, "__qualname__", None),
)
def test_the_methods_poli_overrides_or_calls_keep_their_signatures(function, expected):
    assert parameters(function) == expected


def test_the_attributes_and_options_poli_reads_are_there():
    channel = kombu_redis.Channel
    assert (channel.unacked_key, channel.unacked_index_key) == ("unacked", "unacked_index")
    assert isinstance(channel.pool, property)  # the sync pool Unacked's plain client uses
    options = set(channel.from_transport_options)
    assert {"global_keyprefix", "unacked_restore_interval", "unacked_restore_throttle"} <= options
    assert {"unacked_mutex_expire", "unacked_restore_limit", "visibility_timeout"} <= options
    assert issubclass(kombu_redis.MutexHeld, Exception)
    assert isinstance(virtual.Channel.qos, property)
    assert (kombu_redis.SentinelTransport.Channel, kombu_redis.Transport.Channel) == (
        kombu_redis.SentinelChannel,
        kombu_redis.Channel,
    )
    assert transport.Transport.Channel.QoS is transport.QoS


def test_the_fetch_reads_what_kombu_polls_with(redis_url):
    """kombu's poller calls `handlers['BRPOP']` when the fetch's connection is readable, and
    keeps `_in_poll`, `_brpop_sent_at` and `_queue_cycle` as the fetch sets them."""
    from kombu import Connection

    with Connection(redis_url, transport=transport.Transport) as connection:
        channel = connection.default_channel
        assert channel.handlers["BRPOP"].__func__ is transport.Channel._brpop_read
        assert channel.handlers["BRPOP"].__func__ is not kombu_redis.Channel._brpop_read
        assert (channel._in_poll, channel._brpop_sent_at) == (False, None)
        assert channel.priority_steps[0] == 0 and channel._q_for_pri("q", 0) == "q"
        assert channel._q_for_pri("q", 3) == "q" + channel.sep + "3"
        assert callable(channel._queue_cycle.consume) and callable(channel._queue_cycle.rotate)
        assert callable(connection.transport._deliver)
        assert isinstance(connection.transport.cycle, kombu_redis.MultiChannelPoller)


def test_a_qos_keeps_what_it_delivered_until_acked():
    """The refresher's source of truth: `_delivered` by tag, `_dirty` the acked not yet flushed."""
    qos = virtual.QoS(channel=None, prefetch_count=0)
    qos.restore_at_shutdown = False  # no channel to give anything back to
    qos.append(object(), "tag-1")
    assert list(qos._delivered) == ["tag-1"] and qos._dirty == set()
    qos.ack("tag-1")
    assert qos._dirty == {"tag-1"}


def test_a_delivered_message_takes_its_tag_from_the_payload_properties():
    """A swept message gets a new tag by a new `properties.delivery_tag` (restore_expired)."""
    payload = {"body": "", "properties": {"delivery_tag": "new-tag"}, "headers": {}}
    assert virtual.Message(payload, channel=None).delivery_tag == "new-tag"


def test_celery_holds_its_requests_and_pool_where_the_refresher_looks():
    for name in ("active_requests", "reserved_requests", "scheduled_requests"):
        assert list(getattr(state, name)) == []  # requests, each with its `.message`
    assert components.Pool.__module__ + ":" + components.Pool.__name__ == (
        "celery.worker.components:Pool"
    )
    assert components.Consumer.last is True  # the refresher starts before it, stops after it
