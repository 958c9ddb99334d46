"""kombu's unacked records, kept by the Redis server's clock and changed atomically.

kombu scores a delivered message in `unacked_index` with the worker's own clock and sweeps
by the sweeping worker's clock, so two hosts whose clocks differ by a few seconds hand a
live worker's message to another. It restores a message it found expired without checking
the score again, so a refresh that lands in between is lost. Here every score is the
server's `TIME`, read inside the script that writes or compares it, and a restore re-checks
the score in the same script that moves the message back. Each script is one round trip,
as kombu's own pipelines are.

The scripts run on a plain redis-py client with keys this module prefixes itself: kombu's
prefixing client prefixes only the first key of an EVALSHA.
"""

from __future__ import annotations

from typing import Any

NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000\n"

# KEYS: index, hash; ARGV: tag, payload
APPEND = (
    NOW + "redis.call('ZADD', KEYS[1], now, ARGV[1]) redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])"
)
# KEYS: index; ARGV: tags. XX: an acked (removed) tag is not added back
REFRESH = (
    NOW + "local changed = 0 for i = 1, #ARGV do "
    "changed = changed + redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[i]) end "
    "return changed"
)
# KEYS: index, hash; ARGV: visibility timeout, how many (-1: all). Returns tag, payload, ...
DUE = (
    NOW + "local tags = redis.call('ZRANGE', KEYS[1], '-inf', now - tonumber(ARGV[1]), "
    "'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2])) local out = {} "
    "for _, tag in ipairs(tags) do out[#out + 1] = tag "
    "out[#out + 1] = redis.call('HGET', KEYS[2], tag) end return out"
)
# KEYS: index, hash, queue lists...; ARGV: tag, visibility timeout, payload, '1' for leftmost.
# Only a message still expired by the server's clock now is moved back (0 otherwise).
RESTORE = (
    "local score = redis.call('ZSCORE', KEYS[1], ARGV[1]) if not score then return 0 end "
    + NOW
    + "if tonumber(score) > now - tonumber(ARGV[2]) then return 0 end "
    "redis.call('ZREM', KEYS[1], ARGV[1]) redis.call('HDEL', KEYS[2], ARGV[1]) "
    "local push = ARGV[4] == '1' and 'LPUSH' or 'RPUSH' "
    "for i = 3, #KEYS do redis.call(push, KEYS[i], ARGV[3]) end return 1"
)


class Unacked:
    """The unacked records of one Redis (`client` a plain, unprefixing redis-py client)."""

    def __init__(self, client: Any, prefix: str, index_key: str, hash_key: str) -> None:
        self.client, self.prefix = client, prefix
        self.index, self.hash = prefix + index_key, prefix + hash_key
        self._append = client.register_script(APPEND)
        self._refresh = client.register_script(REFRESH)
        self._due = client.register_script(DUE)
        self._restore = client.register_script(RESTORE)

    def append(self, tag: str, payload: str) -> None:
        """Record a delivered message, scored by the server's clock."""
        self._append(keys=[self.index, self.hash], args=[tag, payload])

    def refresh(self, tags: list[str]) -> int:
        """Re-score the held `tags` still unacked with the server's now; how many changed."""
        if not tags:
            return 0
        return int(self._refresh(keys=[self.index], args=tags))

    def due(self, visibility_timeout: float, limit: int | None = None) -> list[tuple[str, Any]]:
        """(tag, payload) of the records older than `visibility_timeout` by the server's clock."""
        flat = self._due(keys=[self.index, self.hash], args=[visibility_timeout, limit or -1])
        return [(_text(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]

    def restore(
        self, tag: str, visibility_timeout: float, payload: str, queues: list[str], leftmost: bool
    ) -> bool:
        """Move the message back to `queues` if its record is still expired (atomically)."""
        keys = [self.index, self.hash, *(self.prefix + queue for queue in queues)]
        args = [tag, visibility_timeout, payload, "1" if leftmost else "0"]
        return bool(self._restore(keys=keys, args=args))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
