"""The one seam through which a pod's sync reports back: status, events, "look at this pod again", "gone".

The syncer and the prober are handed a SyncReporter when they are built and
never learn who implements it (the sync loop does); the package docstring draws
the flow.
"""

from __future__ import annotations

from typing import Protocol

from objects.pod import Pod, PodStatus


class SyncReporter(Protocol):
    """How a pod's sync tells the rest of the kubelet what it found and did.

    Every method may be called from any pod worker's or probe worker's thread at
    once, returns promptly, and never calls back into the syncer or the prober.
    """

    def pod_status_changed(self, pod: Pod, status: PodStatus) -> bool:
        """`status` is what the kubelet now observes of `pod`; called at the end of every sync.

        Idempotent: a status equal to the last one written is not written again.
        Returns True when the API holds `status`, False when the write failed (the
        next sync reports it again); a failure is logged, never raised.
        """
        ...

    def record_event(self, pod: Pod, *, type_: str, reason: str, message: str, field_path: str = "") -> None:
        """Something happened to `pod` (Pulled, Started, BackOff, Unhealthy ...). `type_` is Normal or
        Warning. Fire and forget: it is queued, never raises, and repeats are counted on one Event."""
        ...

    def pod_terminated(self, pod: Pod, *, confirm_deletion: bool) -> None:
        """Every container of `pod` is gone and its worker ends: forget the pod. With confirm_deletion
        (a graceful delete) the API object is deleted now, which is what `kubectl delete` waits for.
        A failed confirmation raises, and the worker retries the whole (idempotent) termination."""
        ...

    def resync_pod(self, uid: str, *, cause: int | None = None) -> None:
        """Something a runtime relist cannot see changed (a probe result flipped): sync pod `uid` again
        soon. Returns at once; asking for a pod that has no worker does nothing. `cause` (by default
        the caller's current one): the revision that made the change (a fault's), which that next
        sync's writes react to."""
        ...
