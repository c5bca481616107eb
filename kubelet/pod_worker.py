"""One worker per pod: the latest desired state wins, a failed sync is simply retried.

    SYNCING ──deletionTimestamp or gone from the API──► TERMINATING ──containers removed──► TERMINATED
       ▲  │ every update or runtime change, and every resync period
       └──┘

Updates are level-triggered: `update()` only replaces the pod the worker will
look at next, so ten quick updates cost one sync, and the worker always acts on
the newest spec. A sync that raises is retried at the next wake-up with backoff.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kubelet.pod_sync import PodSyncer

log = logging.getLogger(__name__)

RESYNC_SECONDS = 10.0
ERROR_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)


class PodWorker:
    def __init__(self, pod: dict[str, Any], syncer: PodSyncer, *, time_scale: float = 1.0):
        self.uid = pod["metadata"]["uid"]
        self.syncer = syncer
        self.time_scale = time_scale
        self._pod = pod
        self._gone = False  # the API no longer has the pod
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pod-{pod['metadata']['name']}", daemon=True)
        self._thread.start()

    @property
    def pod(self) -> dict[str, Any]:
        """The newest desired state this worker has been given."""
        return self._pod

    def update(self, pod: dict[str, Any]) -> None:
        """A newer version of the pod. A change to its status alone (mostly our own report coming
        back) does not wake the worker, as the kubelet's pod config ignores status-only updates:
        waking on it made every report trigger another sync, and a waiting reason such as
        ErrImagePull was replaced within milliseconds. The newer pod is still the one next looked at."""
        wake = _desired(pod) != _desired(self._pod)
        self._pod = pod
        if wake:
            self._wake.set()

    def gone(self) -> None:
        """The pod was deleted from the API without us (force delete): tear down, confirm nothing."""
        self._gone = True
        self._wake.set()

    def poke(self) -> None:
        """The runtime saw a change in this pod's containers."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pod = self._pod
            try:
                if self._gone or pod["metadata"].get("deletionTimestamp"):
                    self._terminate(pod)
                    return
                self.syncer.sync_pod(pod)
                failures = 0
                wait = RESYNC_SECONDS * self.time_scale
            except Exception:  # the loop outlives a failed sync; it retries with backoff
                log.exception("sync of pod %s/%s failed", pod["metadata"].get("namespace"), pod["metadata"]["name"])
                wait = ERROR_BACKOFF_SECONDS[min(failures, len(ERROR_BACKOFF_SECONDS) - 1)]
                failures += 1
            self._wake.wait(wait)
            self._wake.clear()

    def _terminate(self, pod: dict[str, Any]) -> None:
        grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        self.syncer.terminate_pod(pod, grace_seconds=grace * self.time_scale if not self._gone else 0,
                                  confirm_deletion=not self._gone)
        log.info("pod %s/%s terminated", pod["metadata"].get("namespace"), pod["metadata"]["name"])


def _desired(pod: dict[str, Any]) -> dict[str, Any]:
    """What the API asks of the kubelet: the pod without its status and its write bookkeeping."""
    meta = {k: v for k, v in (pod.get("metadata") or {}).items() if k not in ("resourceVersion", "managedFields")}
    return {**{k: v for k, v in pod.items() if k != "status"}, "metadata": meta}
