"""A cache of catalog reads (the JSON the database built for a reader who is not an admin), emptied by the
database itself: a statement-level trigger announces the changed products and categories with pg_notify in the
same transaction, and the watcher connection of each worker (api/db.py) drops them the moment the change
commits. While that connection is down, the cache is empty and bypassed: correctness first.

A read that started before an invalidation arrived must not store what it read: each key hashes to one of a
few thousand generation counters, bumped by an invalidation; a fill is stored only if its counter (and the
cache's epoch, bumped when it goes offline or online) did not move since the read began.

Keys: a product's id (int) for GET /api/products/{id}, "categories" for GET /api/categories. An entry is the
ETag's digest, the horizon of the read that filled it (the oldest transaction still running then: every
transaction before it is in the entry), and the body, zlib-compressed against a dictionary of the product
JSON's keys (a product takes about 40% of its size). A client that has just written (read-your-writes token,
api/metrics.py) is answered from an entry only if its write is before that horizon; otherwise the database
answers and the entry is filled anew. Two backends, chosen with CACHE: `memory` (in the worker: a dict in LRU order,
bounded in entries and bytes) and `redis` (a Redis server shared by the workers and hosts, REDIS_URL; the same
invalidation). `make bench` measures both against no cache.

api/http.py's Front answers an anonymous reader's hit before the request reaches the framework; the handlers
(api/catalog.py) answer the rest and fill the cache."""

import hashlib
import logging
import zlib
from collections.abc import Hashable
from typing import Literal

import msgspec
from prometheus_client import Counter, Gauge

HITS = Counter("pgshop_cache_hits_total", "Catalog reads answered from the cache")
MISSES = Counter("pgshop_cache_misses_total", "Catalog reads the database answered (then stored)")
ENTRIES = Gauge("pgshop_cache_entries", "Entries in this worker's cache", multiprocess_mode="livesum")
BYTES = Gauge("pgshop_cache_bytes", "Bytes this worker's cache counts against CACHE_MAX_BYTES",
              multiprocess_mode="livesum")

SLOTS = 4096
ENTRY_OVERHEAD = 100  # bytes of Python objects per entry besides its value (dict slot, int key, bytes header)
DIGEST = 12  # bytes of the ETag's BLAKE2b digest, stored first, then the horizon (8 bytes), then the body
_ZDICT = (b'{"id" : , "name" : "", "description" : "", "price" : "", "category_id" : , "stock_quantity" : , '
          b'"sku" : "", "is_active" : true, "metadata" : {}, "low_stock_threshold" : , '
          b'"created_at" : "2026-01-01T00:00:00.000000+00:00", "updated_at" : "2026-01-01T00:00:00.000000+00:00"}')


log = logging.getLogger("pgshop")


class Announcement(msgspec.Struct):
    """What the catalog triggers send on pgshop_catalog (migration 20261201130000)."""

    products: list[int] | Literal["all"] | None = None
    categories: bool = False


def digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=DIGEST).digest()


def etag(digest: bytes) -> str:
    return f'"{digest.hex()}"'


def _pack(body: bytes, horizon: int) -> bytes:
    packer = zlib.compressobj(1, zdict=_ZDICT)
    return digest(body) + horizon.to_bytes(8, "big") + packer.compress(body) + packer.flush()


def _unpack(value: bytes, must_see: int | None) -> tuple[bytes, bytes] | None:
    """(ETag digest, body) of a stored value; None when it was read before `must_see` (a transaction id)
    had finished."""
    if must_see is not None and int.from_bytes(value[DIGEST:DIGEST + 8], "big") <= must_see:
        return None
    return value[:DIGEST], zlib.decompressobj(zdict=_ZDICT).decompress(value[DIGEST + 8:])


class Cache:
    """The part both backends share: being online, generations, invalidation messages."""

    def __init__(self) -> None:
        self.up = False
        self.epoch = 0
        self.slots = [0] * SLOTS

    def begin(self, key: Hashable) -> tuple[int, int]:
        return self.epoch, self.slots[hash(key) % SLOTS]

    def fresh(self, key: Hashable, token: tuple[int, int]) -> bool:
        return self.up and token == (self.epoch, self.slots[hash(key) % SLOTS])

    async def online(self) -> None:
        """The notification channel listens again: start from empty (changes may have been missed)."""
        await self.clear()
        self.up = True

    async def offline(self) -> None:
        """Bypassed at once; emptied if the store answers (a Redis that is away is emptied when back online)."""
        self.up = False
        try:
            await self.clear()
        except Exception:  # noqa: BLE001 - bypassed already: nothing is read from it until online() empties it
            log.warning("the catalog cache could not be emptied; it stays bypassed", exc_info=True)

    async def changed(self, message: Announcement) -> None:
        """A pgshop_catalog notification: {"products": [ids] | "all"} and/or {"categories": true}."""
        if message.products == "all":
            await self.clear()
            return
        keys = [*(message.products or ()), *(["categories"] if message.categories else [])]
        for key in keys:
            self.slots[hash(key) % SLOTS] += 1
        await self.drop(keys)

    async def clear(self) -> None:
        self.epoch += 1
        await self.drop(None)


class MemoryCache(Cache):
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        super().__init__()
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.entries: dict[Hashable, bytes] = {}  # oldest first: a hit moves its entry to the end
        self.bytes = 0

    async def get(self, key: Hashable, must_see: int | None = None) -> tuple[bytes, bytes] | None:
        value = self.entries.pop(key, None)
        if value is None:
            return None
        self.entries[key] = value
        return _unpack(value, must_see)

    async def put(self, key: Hashable, body: bytes, horizon: int, token: tuple[int, int]) -> None:
        if not self.fresh(key, token):
            return
        value = _pack(body, horizon)
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= len(old) + ENTRY_OVERHEAD
        self.entries[key] = value
        self.bytes += len(value) + ENTRY_OVERHEAD
        while len(self.entries) > self.max_entries or self.bytes > self.max_bytes:
            evicted = self.entries.pop(next(iter(self.entries)))
            self.bytes -= len(evicted) + ENTRY_OVERHEAD
        ENTRIES.set(len(self.entries))
        BYTES.set(self.bytes)

    async def drop(self, keys: list | None) -> None:
        if keys is None:
            self.entries.clear()
            self.bytes = 0
        else:
            for key in keys:
                value = self.entries.pop(key, None)
                if value is not None:
                    self.bytes -= len(value) + ENTRY_OVERHEAD
        ENTRIES.set(len(self.entries))
        BYTES.set(self.bytes)


class RedisCache(Cache):
    """The same cache in Redis (redis-py's asyncio client): shared by every worker and host, bounded by the
    server's maxmemory with LRU eviction (`make bench` starts it so). Every worker of every host drops the
    changed keys when the notification reaches it, so a copy another host stored from a read that raced the
    change goes as soon as this one hears of it. Entries expire after an hour all the same."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio
        self.redis = redis.asyncio.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        # A failed drop is raised (the listener then bypasses the cache until Redis is back); reads and writes
        # that fail are a miss and nothing.
        self.errors = (redis.RedisError, OSError)

    async def get(self, key: Hashable, must_see: int | None = None) -> tuple[bytes, bytes] | None:
        """A Redis that does not answer is a miss: the cache only ever speeds reads up."""
        try:
            value = await self.redis.get(f"pgshop:{key}")
        except self.errors:
            return None
        return None if value is None else _unpack(value, must_see)

    async def put(self, key: Hashable, body: bytes, horizon: int, token: tuple[int, int]) -> None:
        if self.fresh(key, token):
            try:
                await self.redis.set(f"pgshop:{key}", _pack(body, horizon), ex=3600)
            except self.errors:
                pass

    async def drop(self, keys: list | None) -> None:
        if keys is None:
            async for name in self.redis.scan_iter("pgshop:*", count=1000):
                await self.redis.delete(name)
        elif keys:
            await self.redis.delete(*(f"pgshop:{key}" for key in keys))


def create(kind: str, max_entries: int, max_bytes: int, redis_url: str) -> Cache | None:
    if kind == "off":
        return None
    if kind == "redis":
        return RedisCache(redis_url)
    if kind == "memory":
        return MemoryCache(max_entries, max_bytes)
    raise ValueError(f"CACHE must be memory, redis or off, not {kind!r}")

