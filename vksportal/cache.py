"""Redis as Django's cache, degrading to a miss while Redis is unreachable.

Nothing the portal keeps in the cache is the only copy (sessions live in the database; the Recent
Tasks stamp only spares work), so an outage must cost speed, never a page: reads miss, writes are
dropped, and for a short while after a failure Redis is not tried at all, so each request pays
for at most one refused connection, not one per cache call.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)

RETRY_AFTER = 2.0  # seconds without trying Redis after a failure


def _degrading(default):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            if time.monotonic() < self.down_until:
                return default(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except (ConnectionError, TimeoutError) as error:
                if not self.down_until:
                    log.warning("cache: Redis unreachable (%s); serving misses", error)
                self.down_until = time.monotonic() + RETRY_AFTER
                return default(*args, **kwargs)

        return call

    return wrap


def _miss(*args, **kwargs):
    return None


def _missing(key, default=None, *args, **kwargs):
    return default


def _absent(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found.")  # what incr says of a missing key


class DegradingRedisCacheClient(RedisCacheClient):
    down_until = 0.0

    add = _degrading(lambda *a, **k: False)(RedisCacheClient.add)
    get = _degrading(_missing)(RedisCacheClient.get)
    set = _degrading(_miss)(RedisCacheClient.set)
    touch = _degrading(lambda *a, **k: False)(RedisCacheClient.touch)
    delete = _degrading(lambda *a, **k: False)(RedisCacheClient.delete)
    get_many = _degrading(lambda *a, **k: {})(RedisCacheClient.get_many)
    has_key = _degrading(lambda *a, **k: False)(RedisCacheClient.has_key)
    incr = _degrading(_absent)(RedisCacheClient.incr)
    set_many = _degrading(lambda *a, **k: [])(RedisCacheClient.set_many)
    delete_many = _degrading(_miss)(RedisCacheClient.delete_many)
    clear = _degrading(lambda *a, **k: False)(RedisCacheClient.clear)


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = DegradingRedisCacheClient
