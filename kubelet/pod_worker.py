"""One worker per pod: the latest desired state wins, a failed sync is simply retried.

    SYNCING ──deletionTimestamp or gone from the API──► TERMINATING ──containers removed──► TERMINATED
       ▲  │ every desired-state update or runtime change, and every resync period
       └──┘

A sync that leaves a backoff running (CrashLoopBackOff, ImagePullBackOff) is
repeated the moment it runs out.

Updates are level-triggered: `update()` only replaces the pod the worker will
look at next, so ten quick updates cost one sync, and the worker always acts on
the newest spec. A sync that raises is retried at the next wake-up with backoff.
A worker talks to nothing but its PodSync; what a sync finds is reported by the
syncer itself.

Each sync runs reacting to (apiclient.provenance) the pod revision that last
asked something of the kubelet: the binding at first, later a spec change or
the deletion mark, never the kubelet's own status write coming back. So every
status write and event of that sync names it as its cause. A poke can name a
revision of its own (a fault about to crash a container): that cause wins until
a status write names it, whichever sync makes that write (the poked one may find
nothing new yet; a relist or a sync already running may be the one that reports
the crash), and a cause told once is not told again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from apiclient.provenance import reacting_to
from objects.pod import Pod

log = logging.getLogger(__name__)

RESYNC_SECONDS = 10.0
ERROR_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)

# What the API writes on every update without asking anything new of the kubelet.
_BOOKKEEPING = {"status": True, "metadata": {"resource_version", "managed_fields"}}


class PodSync(Protocol):
    """What a worker asks of the syncer (kubelet.pod_sync.PodSyncer). Both calls are idempotent and
    may raise; the worker then calls again later, with backoff."""

    def sync_pod(self, pod: Pod) -> float | None:
        """Make the runtime match the pod's spec and report its status. Returns the wall-clock moment
        a backoff it waits on runs out (a crash-loop restart, an image pull), or None."""
        ...

    def terminate_pod(self, pod: Pod, *, grace_seconds: float, confirm_deletion: bool) -> None:
        """Stop and remove the pod's containers, then report the pod terminated."""
        ...


def desired_changed(old: Pod, new: Pod) -> bool:
    """Whether `new` asks something of the kubelet that `old` did not: anything but its status and the
    API's write bookkeeping changed."""
    return old.model_dump(exclude=_BOOKKEEPING) != new.model_dump(exclude=_BOOKKEEPING)


class PodWorker:
    def __init__(self, pod: Pod, syncer: PodSync, *, time_scale: float = 1.0):
        self.uid = pod.metadata.uid
        self.syncer = syncer
        self.time_scale = time_scale
        self._pod = pod
        self._desired_revision = _revision(pod)  # the revision that last asked something new of us
        # A poke's cause (a fault) until a status write names it, and the last one that was named.
        self._poke_cause: int | None = None
        self._told_cause: int | None = None
        self._cause_lock = threading.Lock()
        self._gone = False  # the API no longer has the pod
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pod-{pod.metadata.name}", daemon=True)
        self._thread.start()

    @property
    def pod(self) -> Pod:
        """The newest desired state this worker has been given."""
        return self._pod

    @property
    def cause(self) -> int | None:
        """The pod revision this worker's writes react to: the last that changed what it must do."""
        return self._desired_revision

    @property
    def untold_cause(self) -> int | None:
        """A poke's cause no status write has named yet: what the next status write about the pod reacts
        to, from whichever thread it is made. None once the pod is going: its writes react to the deletion."""
        return None if self._gone or self._pod.is_terminating else self._poke_cause

    def status_written(self, cause: int | None) -> None:
        """A status write reacting to `cause` went out: a poke's cause it named is told."""
        with self._cause_lock:
            if cause is not None and cause == self._poke_cause:
                self._poke_cause, self._told_cause = None, cause

    def update(self, pod: Pod) -> None:
        """A newer version of the pod. A change to its status alone (mostly our own report coming
        back) does not wake the worker, as the kubelet's pod config ignores status-only updates:
        waking on it made every report trigger another sync, and a waiting reason such as
        ErrImagePull was replaced within milliseconds. The newer pod is still the one next looked at."""
        wake = desired_changed(self._pod, pod)
        self._pod = pod
        if wake:
            self._desired_revision = _revision(pod) or self._desired_revision
            self._wake.set()

    def gone(self, *, revision: int | None = None) -> None:
        """The pod was deleted from the API without us (force delete, at `revision`): tear down, confirm
        nothing."""
        self._desired_revision = revision or self._desired_revision
        self._gone = True
        self._wake.set()

    def poke(self, *, cause: int | None = None) -> None:
        """The runtime saw a change in this pod's containers, or a probe result flipped. `cause`: the
        revision that made the change (a fault), kept until a status write names it. A fault pokes before
        it acts and again once it has: the second poke must not make a later write name it too."""
        with self._cause_lock:
            if cause is not None and cause != self._told_cause:
                self._poke_cause = cause
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pod = self._pod
            try:
                if self._gone or pod.is_terminating:
                    self._poke_cause = None  # what a termination writes reacts to the deletion
                    with reacting_to(self._desired_revision):
                        self._terminate(pod)
                    return
                with reacting_to(self._poke_cause or self._desired_revision):
                    due = self.syncer.sync_pod(pod)
                failures = 0
                wait = RESYNC_SECONDS * self.time_scale
                if due is not None:
                    # At the moment the backoff ends, not at the next resync: the restart then happens
                    # when `why` said it would.
                    wait = min(wait, max(0.0, due - time.time()))
            except Exception:  # the loop outlives a failed sync; it retries with backoff
                log.exception("sync of pod %s/%s failed", pod.metadata.namespace, pod.metadata.name)
                wait = ERROR_BACKOFF_SECONDS[min(failures, len(ERROR_BACKOFF_SECONDS) - 1)]
                failures += 1
            self._wake.wait(wait)
            self._wake.clear()

    def _terminate(self, pod: Pod) -> None:
        grace = pod.metadata.deletion_grace_period_seconds
        if grace is None and pod.spec is not None:
            grace = pod.spec.termination_grace_period_seconds
        if grace is None:
            grace = 30
        self.syncer.terminate_pod(pod, grace_seconds=grace * self.time_scale if not self._gone else 0,
                                  confirm_deletion=not self._gone)
        log.info("pod %s/%s terminated", pod.metadata.namespace, pod.metadata.name)


def _revision(pod: Pod) -> int | None:
    version = pod.metadata.resource_version
    return int(version) if version and version.isdigit() else None
