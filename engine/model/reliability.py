"""The model of queues.yaml `reliability:` (a part of engine.model, kept in its own file).

Every value the at-least-once machinery runs on is derived here, once: the Redis visibility
timeout, how often live workers sweep for expired messages and refresh the ones they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

# The held-messages refresher (engine/runtime/delivery/held_messages.py): each attempt gives
# up after REFRESH_TIMEOUT (to connect, then for a reply) and the next comes REFRESH_RETRY
# later, so while Redis is away a refresh lands at most REFRESH_RECONNECT_BOUND after it is back.
REFRESH_TIMEOUT = 1.0
REFRESH_RETRY = 0.5
REFRESH_RECONNECT_BOUND = 2 * REFRESH_TIMEOUT + REFRESH_RETRY
# Live workers refresh every quarter of the visibility timeout: two refreshes and one failed
# attempt must fit in it, or a live worker's message is swept (validate refuses less).
MIN_VISIBILITY_TIMEOUT = 2 * REFRESH_RECONNECT_BOUND


def refresh_interval(visibility_timeout: float) -> float:
    """How often live workers re-score what they hold, for the visibility timeout in force."""
    return visibility_timeout / 4


@dataclass(frozen=True)
class Reliability:
    """queues.yaml `reliability:`: redelivery of tasks whose worker died, dead letters."""

    redeliver_within: int  # seconds from a worker's death to its tasks back in queue
    max_deliveries: int  # a message delivered this often, its worker lost each time: dead
    result_retry: int  # seconds a result is retried while the broker is away
    dead_letter_keep: int  # seconds
    dead_letter_max: int

    @property
    def visibility_timeout(self) -> int:
        """The derived one: unacked messages older than this are swept back. A declared
        `broker.transport_options.visibility_timeout` wins (`Platform.visibility_timeout`)."""
        return max(3, self.redeliver_within * 3 // 4)

    @property
    def sweep_interval(self) -> int:
        """visibility_timeout + sweep_interval = redeliver_within: the declared bound."""
        return max(1, self.redeliver_within - self.visibility_timeout)

    @property
    def transport_options(self) -> dict[str, int]:
        """kombu's Redis options behind the bound: every live worker sweeps expired messages
        each sweep_interval (the throttle of 1 makes each sweep scan)."""
        return {
            "visibility_timeout": self.visibility_timeout,
            "unacked_restore_interval": self.sweep_interval,
            "unacked_restore_throttle": 1,
            "unacked_mutex_expire": self.sweep_interval,
        }
