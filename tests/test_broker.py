"""The embedded broker never lets a worker see a half-written message."""

from __future__ import annotations

import os

import redis
from kombu import Connection

import vksportal.broker


def test_a_message_appears_under_its_queue_name_only_once_written(tmp_path, monkeypatch):
    seen = []

    def replace(src, dst):  # the moment the message becomes visible to readers
        seen.append((sorted(os.listdir(tmp_path)), open(src, "rb").read()))
        os.rename(src, dst)

    monkeypatch.setattr(vksportal.broker.os, "replace", replace)
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection("vksfs://localhost//", transport_options=options) as conn:
        channel = conn.default_channel
        channel._put("celery", {"body": "hello"})
        [(listing, content)] = seen
        assert not any(name.endswith(".celery.msg") for name in listing), (
            "not visible while written"
        )
        assert b"hello" in content, "complete before it is renamed into place"
        assert channel._get("celery") == {"body": "hello"}
        assert os.listdir(tmp_path) == []


def test_a_late_ack_on_a_channel_closed_by_a_reconnect_is_dropped(monkeypatch):
    """After Redis came back the consumer works on a new channel; a task that finishes then acks
    on the old, closed one. That ack must not kill the worker: the message stays unacked in
    Redis and is redelivered after the visibility timeout. An ack on an open channel still
    reaches Redis."""
    sent = []
    monkeypatch.setattr(redis.Redis, "ping", lambda self, **kw: True)  # no server needed

    def execute(pipeline, **kwargs):  # what would reach Redis
        sent.append([args for args, _ in pipeline.command_stack])

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    with Connection("vksredis://127.0.0.1:1/0") as conn:
        channel = conn.channel()
        assert isinstance(channel.qos, vksportal.broker.RedisQoS)
        channel.qos.ack("open-tag")
        assert [[args[0] for args in commands] for commands in sent] == [["ZREM", "HDEL"]]
        assert "open-tag" in sent[0][0]

        old = channel.qos
        channel.close()
        assert channel.connection is None
        old.ack("late-tag")  # kombu's own QoS: AttributeError: 'NoneType' ... 'client'
        old.reject("late-tag-2", requeue=True)
        assert len(sent) == 1, "nothing sent for the closed channel"
        assert {"late-tag", "late-tag-2"} <= old._dirty, "forgotten by the channel"
