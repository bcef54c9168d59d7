"""Sending what is due: a background thread per worker process, and a bounded wait after a clock move.

Nothing here sleeps until an event: each pass asks the store what is due on each account's
clock now. The thread wakes every POLL seconds, or at once when any process writes to
the store (the shared write counter), so an event due at or before now goes out well
within a second whether the clock runs or is frozen. Requests never wait for deliveries,
except an admin clock move, which waits (at most `settle_bound` seconds) for what the
jump made due.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable

from .models import MATERIALISE_BATCH, WebhookStore
from .sender import post

log = logging.getLogger("sendcloud_mock.webhooks")
POLL = 0.25
COUNTER_CHECK = 0.02


class Dispatcher:
    def __init__(self, webhooks: WebhookStore, *, version: Callable[[], int], base_url: Callable[[], str]) -> None:
        self._webhooks = webhooks
        self._version = version
        self._base_url = base_url
        self._started_in: int | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()

    # -- one pass ----------------------------------------------------------------------------

    def materialise(self) -> None:
        base = self._base_url()
        for config in self._webhooks.configured():
            while self._webhooks.materialise(config, base) >= MATERIALISE_BATCH:
                pass

    def deliver_one(self, account: str, *, only: int | None = None) -> bool:
        """Send the account's earliest due delivery, if it is free; answers whether one was sent."""
        claimed = self._webhooks.claim(account, only=only)
        if claimed is None:
            return False
        try:
            outcome = post(claimed.url, claimed.body, claimed.signature, timeout=self._webhooks.timeout)
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", claimed.id)
            self._webhooks.record(claimed, status_code=None, error=f"{type(exc).__name__}: {exc}"[:300])
            return True
        self._webhooks.record(claimed, status_code=outcome.status_code, error=outcome.error)
        return True

    def run_once(self) -> int:
        """Materialise, then send everything due that no other process is sending; answers how many."""
        self.materialise()
        sent = 0
        progress = True
        while progress and not self._stop.is_set():
            progress = False
            for account in self._webhooks.accounts_with_due():
                if self.deliver_one(account):
                    sent += 1
                    progress = True
        return sent

    def settle(self, bound: float) -> bool:
        """Deliver what is due now, waiting for other processes' deliveries too, for at most `bound` s.

        Answers whether nothing due is left (False: the bound passed, the rest continues in the background).
        """
        deadline = time.monotonic() + bound
        while True:
            self.run_once()
            if not any(self._webhooks.due_count(account) for account in self._webhooks.accounts_with_due()):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    # -- the background thread --------------------------------------------------------------

    def ensure_running(self) -> None:
        """Start this process's delivery thread (once per process: threads do not survive a fork)."""
        if self._started_in == os.getpid():
            return
        with self._start_lock:
            if self._started_in == os.getpid():
                return
            self._started_in = os.getpid()
            self._stop.clear()
            thread = threading.Thread(target=_loop, args=(weakref.ref(self), self._stop),
                                      name="sendcloud-mock-webhooks", daemon=True)
            thread.start()

    def running_here(self) -> bool:
        return self._started_in == os.getpid()

    def stop(self) -> None:
        self._stop.set()
        self._started_in = None

    def _wait_for_change(self, timeout: float) -> None:
        start = self._version()
        deadline = time.monotonic() + timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._version() != start:
                return
            self._stop.wait(COUNTER_CHECK)


def _loop(ref: weakref.ref[Dispatcher], stop: threading.Event) -> None:
    while not stop.is_set():
        dispatcher = ref()
        if dispatcher is None:
            return
        try:
            dispatcher.run_once()
        except Exception:
            log.exception("webhook dispatch pass failed")
        dispatcher._wait_for_change(POLL)
        del dispatcher
