"""Celery's transports, each with a fix kombu lacks.

The embedded broker (`vksfs://`): kombu's filesystem transport, with atomic message files. kombu
writes a message into its final file name and only then fills it, so a worker listing the folder at
that moment can take an empty file and die on a JSON error. Here a message is written under a name
no reader matches and renamed into place, which is atomic on one filesystem.

Redis (`vksredis://`, what REDIS_URL becomes): when the worker loses Redis while it holds
unacknowledged messages, kombu 5.7 first collects the dead connection, then closes its channel,
whose QoS tries to restore those messages through a client the collected connection no longer
has: AttributeError on `conninfo.hostname`, which celery treats as unrecoverable and the worker
exits. Here that restore is skipped: the messages stay in Redis' unacked index, which the
transport restores after the visibility timeout, and beat's resync redoes the work sooner.
Likewise a late ack (acks_late) of a task that finishes after the consumer reconnected: it comes to
the old channel, closed meanwhile (no connection: AttributeError on `.client`, and the worker
exits); it is dropped, and the message, still in the unacked index, is redelivered after the
visibility timeout like any unacknowledged one.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, redis, virtual
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".part"  # readers only take files ending in `.<queue>.msg`
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


class RedisQoS(redis.QoS):
    def restore_unacked(self, client=None):
        transport = self.channel.connection
        if client is None and getattr(transport, "client", None) is None:
            self._delivered.clear()  # the connection was collected; see the module docstring
            return
        return super().restore_unacked(client)

    def ack(self, delivery_tag):
        if self.channel.connection is None:  # closed by a reconnect; see the module docstring
            virtual.QoS.ack(self, delivery_tag)  # forget it here, leave Redis as it is
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if self.channel.connection is None:
            virtual.QoS.ack(self, delivery_tag)
            return
        super().reject(delivery_tag, requeue=requeue)


class RedisChannel(redis.Channel):
    QoS = RedisQoS


class RedisTransport(redis.Transport):
    Channel = RedisChannel
