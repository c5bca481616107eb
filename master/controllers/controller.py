"""Controller: the run loop every controller shares; a controller only supplies `reconcile(key)`.

Subclasses create their informers in __init__ (handlers call `self.queue.add`),
and implement `reconcile(key)`, which must be idempotent: it may run any number
of times for the same state. A reconcile that raises is retried with backoff;
`self.queue.add_after` schedules a later look (e.g. a timeout that expires).

A reconcile runs reacting to the revision that queued its key (the work queue
remembers it), so every write it makes is recorded as caused by that event.
"""

from __future__ import annotations

import logging
import threading

from apiclient import ApiClient
from apiclient.informer import Informer
from apiclient.provenance import reacting_to
from master.controllers.workqueue import WorkQueue

log = logging.getLogger(__name__)

CACHE_WAIT_SECONDS = 0.1  # how often a wait for the caches looks whether the controller was stopped


class Controller:
    name = "controller"
    workers = 2

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        self.client = client
        self.time_scale = time_scale
        self.queue = WorkQueue()
        self.informers: list[Informer] = []

    def reconcile(self, key: str) -> None:
        raise NotImplementedError

    def run(self, stop: threading.Event) -> None:
        for informer in self.informers:
            informer.start(stop)
        if not self.wait_for_caches(stop):
            self.queue.close()
            return
        threads = [threading.Thread(target=self._work, name=f"{self.name}-{i}", daemon=True)
                   for i in range(self.workers)]
        for thread in threads:
            thread.start()
        stop.wait()
        self.queue.close()

    def wait_for_caches(self, stop: threading.Event) -> bool:
        """Block until every informer has its first list; False if `stop` comes first (a controller
        stopped while its API server is unreachable leaves no thread behind)."""
        for informer in self.informers:
            while not informer.synced.wait(CACHE_WAIT_SECONDS):
                if stop.is_set():
                    return False
        return True

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=self.name, daemon=True)
        thread.start()
        return thread

    def _work(self) -> None:
        while (key := self.queue.get()) is not None:
            # the retry below runs in this context too, so a retried key keeps its cause
            with reacting_to(self.queue.cause_of(key)):
                try:
                    self.reconcile(key)
                    self.queue.forget(key)
                except Exception:  # the loop outlives one failed reconcile; the key is retried with backoff
                    log.exception("%s: reconciling %s failed", self.name, key)
                    self.queue.retry(key)
                finally:
                    self.queue.done(key)
