"""The Redis cache backend with one client kept per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache operation (about
0.2 ms of CPU each); the API throttles and the access checks make several per request. A client
over a connection pool is safe to share between threads (redis-py), and the pool itself already
reconnects after a fork, so one client per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class OpsPortalRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
