"""`celery beat` for poli: one active beat on any number of hosts, the YAML reloaded live.

Every beat process watches the config files (each second) and reloads them when
they change; an invalid edit is logged with the diagnostics `polictl validate`
prints and the last valid schedule keeps running. Only the beat holding the lock
in the broker's Redis sends; the others stand by and take over when it expires.
Due times come from engine.model.schedule_times, the rule `polictl schedules` shows.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.beat import Scheduler

from engine.config import load
from engine.config.fingerprint import config_hash
from engine.model import Platform, Schedule
from engine.model.schedule_times import fire_after, plan
from engine.runtime import heartbeat
from engine.runtime.beat.live_edit import refused
from engine.runtime.beat.pause import held_back
from engine.runtime.beat.store import BeatStore, describe_holder, open_store

logger = logging.getLogger("poli.beat")
RELOAD_CHECK_SECONDS = 1.0  # a saved edit is running within this (plus a load)
SEND_RETRY_SECONDS = 2.0  # a failed send is tried again this much later (by its catch-up rule)


def utcnow() -> datetime:
    return datetime.now(UTC)


class PoliScheduler(Scheduler):
    """Celery's Scheduler with its own tick: lock, reload, and due times by the one rule."""

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
        self.platform: Platform = app.platform  # engine.runtime.tasks.checked.PoliCelery
        self.schedules: dict[str, Schedule] = {}
        self.last: dict[str, datetime] = {}  # last due time handled (sent, skipped or baseline)
        self.next: dict[str, datetime | None] = {}
        self.unsent: dict[str, datetime] = {}  # a due time whose send failed, retried
        self.store: BeatStore | None = None
        self.active = False
        self.loaded_hash = self.rejected_hash = ""
        self.rejected: dict[str, str] = {}  # the files on disk it refused: hash, reason
        self.generation = 0
        self.loaded_at = utcnow()
        self._lock_at = self._check_at = 0.0  # monotonic: next lock renewal/attempt, file check
        super().__init__(app, *args, **kwargs)

    # --- Celery's Scheduler interface ---------------------------------------------

    def setup_schedule(self) -> None:
        self.store = open_store(self.app)
        if self.store is None:
            logger.warning(
                "beat: no Redis keeps its state (broker.state_url): no lock, run one beat"
            )
        self._apply(self.platform, config_hash(self.platform.config_dir, self.platform.environment))

    @property
    def info(self) -> str:
        beat = self.platform.beat
        return (
            f"    . lock -> in the broker's Redis, ttl {beat.lock_ttl:g}s, "
            f"takeover within {beat.takeover_bound:g}s\n"
            f"    . reload -> {self.platform.config_dir} (checked every {RELOAD_CHECK_SECONDS:g}s)"
        )

    def tick(self, *args: Any, **kwargs: Any) -> float:
        heartbeat.beat_alive()
        if self.active:  # sends first: they are what is due at this instant
            self._send_due()
        if time.monotonic() >= self._check_at:
            self._check_at = time.monotonic() + RELOAD_CHECK_SECONDS
            self._reload_if_changed()
        if time.monotonic() >= self._lock_at:
            self._hold_lock()
        if self.active:  # just took over: what the last holder left due
            self._send_due()
        return self._sleep()

    def close(self) -> None:
        if self.active and self.store is not None:
            try:
                self.store.release()  # a clean stop hands over at once
            except Exception:  # the broker may be gone already; the lock expires
                logger.warning("beat: could not release the lock", exc_info=True)
        self.active = False
        super().close()

    # --- the lock ------------------------------------------------------------------

    def _hold_lock(self) -> None:
        beat = self.platform.beat
        if self.store is None:
            self._lock_at = float("inf")
            if not self.active:
                self._activate()
            return
        try:
            held = self.store.renew(beat.lock_ttl) if self.active else self._take(beat.lock_ttl)
        except Exception as exc:  # a broker outage: stand by, try again
            logger.warning("beat: lock check failed: %s", exc)
            held = False
        if held:
            self._lock_at = time.monotonic() + beat.renew_interval
        else:
            self._lock_at = time.monotonic() + beat.standby_poll
            if self.active:
                logger.warning("beat: lost the lock; standing by")
                self.active = False

    def _take(self, ttl: float) -> bool:
        """Acquire the lock and pick up where the last active beat left off."""
        if not self.store.acquire(ttl):
            return False
        self._activate()
        return True

    def _activate(self) -> None:
        self.active = True
        handled = self.store.handled() if self.store else {}
        for name, schedule in self.schedules.items():
            due, rule = handled.get(name, (None, ""))
            if due is not None and rule == _rule(schedule):
                self._start(name, schedule, due)
            else:  # never run, or retimed while no beat was active
                self._baseline(name, schedule)
        logger.info("beat: active (%s)", describe_holder(self.store))
        self._publish()

    # --- sending ------------------------------------------------------------------

    def _start(self, name: str, schedule: Schedule, since: datetime) -> None:
        """Count `schedule` from `since`: its last handled due time, or now when new."""
        self.last[name] = since
        self.next[name] = fire_after(schedule, since)

    def _send_due(self) -> None:
        now = utcnow()
        due_now = [n for n, due in self.next.items() if due is not None and due <= now]
        fired, held = False, held_back(self.store, due_now)
        for name in due_now:
            schedule, previous = self.schedules[name], self.last[name]
            decision = plan(schedule, previous, now)
            self.last[name], self.next[name] = decision.latest, decision.next
            if decision.send is not None and name in held:  # an operator's pause: skip it
                logger.info("beat: %s skipped its run at %s: %s", name, decision.send, held[name])
            elif decision.send is not None and self._claim(name, schedule, decision.send):
                if self._send(schedule, decision.send):
                    fired = True
                else:
                    self._undo(name, schedule, decision.send, previous)
            elif decision.send is None:
                missed = decision.latest.isoformat()
                logger.info(
                    "beat: %s missed its run at %s (catchup: %s)", name, missed, schedule.catchup
                )
        if fired:
            self._publish()

    def _claim(self, name: str, schedule: Schedule, due: datetime) -> bool:
        if self.store is None:
            return True
        again = self.unsent.pop(name, None) == due  # its send failed: claimed, never sent
        try:
            outcome = self.store.claim(name, due, _rule(schedule), again=again)
        except Exception as exc:
            logger.error("beat: could not record %s at %s: %s", name, due.isoformat(), exc)
            return False
        if outcome < 0:
            logger.warning("beat: lost the lock before sending %s; standing by", name)
            self.active, self._lock_at = False, 0.0
        return outcome > 0

    def _undo(self, name: str, schedule: Schedule, due: datetime, previous: datetime) -> None:
        """A failed send does not lose its run: its record goes back to the run before, and
        it is planned again SEND_RETRY_SECONDS later by its catch-up rule, as a missed run."""
        self.last[name], self.unsent[name] = previous, due
        self.next[name] = utcnow() + timedelta(seconds=SEND_RETRY_SECONDS)
        if self.store is not None:
            try:
                self.store.unclaim(name, due, previous)
            except Exception as exc:  # still retried by this beat, which holds the record
                logger.warning("beat: could not undo the record of %s: %s", name, exc)

    def _send(self, schedule: Schedule, due: datetime) -> bool:
        when = due.isoformat()
        headers = {"celery_beat_task": True, "poli_schedule": schedule.name, "poli_due": when}
        logger.info(
            "Scheduler: Sending due task %s (%s) due %s", schedule.name, schedule.task, when
        )
        try:
            self.app.send_task(
                schedule.task,
                args=list(schedule.args),
                kwargs=schedule.kwargs_dict,
                queue=schedule.queue,
                producer=self.producer,
                headers=headers,
                # the schedule's own, else the task's (an explicit None would clear that)
                **({"expires": schedule.expires} if schedule.expires else {}),
            )
        except Exception as exc:  # one bad send must not stop the others
            logger.error("beat: sending %s failed: %s", schedule.name, exc, exc_info=True)
            return False
        if self.store is not None:
            try:
                self.store.sent(schedule.name, due, utcnow())
            except Exception as exc:  # sent: only `polictl schedules`' "last sent" misses it
                logger.warning("beat: could not note %s as sent: %s", schedule.name, exc)
        return True

    def _sleep(self) -> float:
        wake = min(self._check_at, self._lock_at)
        if self.active:
            upcoming = [due for due in self.next.values() if due is not None]
            if upcoming:
                wake = min(wake, time.monotonic() + (min(upcoming) - utcnow()).total_seconds())
        return max(0.0, min(wake - time.monotonic(), self.max_interval))

    # --- reloading -----------------------------------------------------------------

    def _reload_if_changed(self) -> None:
        platform = self.platform
        digest = config_hash(platform.config_dir, platform.environment)
        if digest in (self.loaded_hash, self.rejected_hash):
            return
        result = load(platform.config_dir, platform.environment)
        reason = refused(self.app.platform, result, self.generation)  # the app's: as started
        if reason is None:
            self._apply(result.platform, digest)
            return
        self.rejected_hash, self.rejected = digest, {"config_hash": digest, "reason": reason}
        if self.active:
            self._publish()

    def _apply(self, platform: Platform, digest: str) -> None:
        new = {s.name: s for s in platform.enabled_schedules}
        old = self.schedules
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        changed = sorted(n for n in set(new) & set(old) if new[n] != old[n])
        self.platform, self.schedules = platform, new
        self.loaded_hash, self.rejected_hash, self.rejected = digest, "", {}
        self.generation += 1
        self.loaded_at = utcnow()
        for name in removed:
            self.last.pop(name, None)
            self.next.pop(name, None)
        if self.active:
            for name in [*added, *changed]:
                if name in added or _rule(new[name]) != _rule(old[name]):
                    self._baseline(name, new[name])
            self._publish()
        if self.generation > 1:
            logger.info(
                "beat: reloaded the config (generation %d, %s): added %s, changed %s, removed %s",
                self.generation,
                digest[:12],
                added or "-",
                changed or "-",
                removed or "-",
            )

    def _baseline(self, name: str, schedule: Schedule) -> None:
        """A new or retimed schedule counts from now: nothing before the edit is 'missed'."""
        now = utcnow()
        if self.store is not None:
            try:
                self.store.claim(name, now, _rule(schedule))
            except Exception as exc:
                logger.warning("beat: could not record the new timing of %s: %s", name, exc)
        self._start(name, schedule, now)

    def _publish(self) -> None:
        if self.store is None:
            return
        status = {
            "config_hash": self.loaded_hash,
            "generation": self.generation,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "next": {n: d.isoformat() if d else None for n, d in self.next.items()},
            **({"rejected": self.rejected} if self.rejected else {}),
        }
        try:
            self.store.publish(status)
        except Exception as exc:
            logger.warning("beat: could not publish its status: %s", exc)


def _rule(schedule: Schedule) -> str:
    """What a schedule's due times depend on; a change restarts its count."""
    rule = f"{schedule.cron or ''}|{schedule.every or ''}|{schedule.timezone}"
    return rule + (f"|+{schedule.jitter_offset}s" if schedule.jitter_offset else "")
