"""The kubelet's main loop: pods bound to this node in, one worker per pod, status out.

    informer(spec.nodeName=<node>) ─► dispatch ─► PodWorker (one per pod uid) ─► PodSyncer ─► runtime
    relist the runtime every second ─► poke the workers whose containers changed (a crash, an OOM kill)
    housekeeping                    ─► remove containers of pods the API no longer has

On start, workers of pods already running adopt their containers as they are
(sync_pod only does what is missing), so restarting the kubelet restarts nothing.

The loop builds the one PodSyncer its workers share and is the SyncReporter
handed to it: the syncer's status reports, events and resync requests come back
through that seam, never through anything set on the syncer afterwards.

What a write reacts to (apiclient.provenance): a pod worker syncs inside its
pod's cause (kubelet.pod_worker); a status or an event reported from another
thread (a probe, an admission refusal) reacts to the same pod revision. A fault
that pokes a worker before crashing its container wins over both until a status
write actually goes out naming it: a write skipped because nothing changed
tells nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.events import EventRecorder, now_rfc3339
from apiclient.informer import Informer
from apiclient.provenance import current_cause, reacting_to
from kubelet.admission import admit
from kubelet.config import KubeletConfig
from kubelet.pod_status import rejected_status
from kubelet.pod_sync import PodSyncer
from kubelet.pod_worker import PodWorker
from kubelet.runtime.protocol import ContainerRuntime, PodRef
from kubelet.services.pod_network import PodNetwork
from objects import pod as api
from objects.kinds import POD
from objects.pod import Pod
from objects.why import KubeletPodReport

log = logging.getLogger(__name__)

RELIST_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 10.0


class SyncLoop:
    """Owns the pod workers and the syncer they share; implements SyncReporter for that syncer."""

    def __init__(self, client: ApiClient, runtime: ContainerRuntime, config: KubeletConfig, events: EventRecorder,
                 allocatable: dict[str, str], *, pod_network: PodNetwork | None = None):
        self.client = client
        self.runtime = runtime
        self.config = config
        self.events = events
        self.allocatable = allocatable
        self.syncer = PodSyncer(runtime, config, reporter=self, pod_network=pod_network)
        self._workers: dict[str, PodWorker] = {}
        self._rejected: set[str] = set()
        self._reported: dict[str, dict[str, Any]] = {}  # uid -> the status last written, as sent
        self._lock = threading.Lock()
        self._runtime_state: dict[str, tuple] = {}
        self.pods = Informer(client, POD, field_selector=f"spec.nodeName={config.node_name}",
                             on_add=self.dispatch, on_update=lambda _old, new: self.dispatch(new),
                             on_delete=self._deleted)

    def run(self, stop: threading.Event) -> None:
        self.pods.start(stop)
        self.pods.synced.wait()
        since_housekeeping = HOUSEKEEPING_SECONDS
        while not stop.wait(RELIST_SECONDS):
            try:
                self._relist()
                since_housekeeping += RELIST_SECONDS
                if since_housekeeping >= HOUSEKEEPING_SECONDS:
                    self.remove_orphans()
                    since_housekeeping = 0.0
            except Exception:  # the loop outlives a failed relist (e.g. Docker restarting)
                log.exception("runtime relist failed")
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.stop()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="sync-loop", daemon=True)
        thread.start()
        return thread

    # ----- pods in

    def dispatch(self, raw: dict[str, Any]) -> None:
        # One validation per watch event: about 30 µs for a typical pod (timeit, 2 cores), small
        # beside the write that caused the event, so the kubelet needs no lighter view of a pod.
        pod = Pod.model_validate(raw)
        uid = pod.metadata.uid or ""
        with self._lock:
            known = uid in self._workers or uid in self._rejected
        # Asked of the runtime outside the lock: status reports of every pod wait on that lock.
        adopting = not known and self._adopting(uid)
        with self._lock:
            worker = self._workers.get(uid)
            if worker is not None:
                worker.update(pod)
                return
            if uid in self._rejected or pod.is_finished and not pod.is_terminating:
                return
            if not pod.is_terminating and not adopting:
                refusal = admit(pod, [w.pod for w in self._workers.values()], self.allocatable)
                if refusal is not None:
                    self._rejected.add(uid)
                    reason, message = refusal
                    threading.Thread(target=self._reject, args=(pod, reason, message, current_cause()),
                                     daemon=True).start()
                    return
            self._workers[uid] = PodWorker(pod, self.syncer, time_scale=self.config.time_scale)

    def _deleted(self, raw: dict[str, Any]) -> None:
        uid = Pod.model_validate(raw).metadata.uid
        with self._lock:
            worker = self._workers.get(uid or "")
        if worker is not None:
            worker.gone(revision=current_cause())  # the informer hands us the deletion's revision

    def _adopting(self, uid: str) -> bool:
        """True when the runtime already runs this pod (a restarted kubelet): no admission again."""
        return bool(self.runtime.list_sandboxes(self.config.node_name, pod_uid=uid))

    def _reject(self, pod: Pod, reason: str, message: str, cause: int | None) -> None:
        with reacting_to(cause):  # the pod revision that was refused, in this thread too
            self.record_event(pod, type_="Warning", reason=reason, message=message)
            self.pod_status_changed(pod, rejected_status(pod, reason=reason, message=message,
                                                         host_ip=self.config.address, now=now_rfc3339()))

    def explain(self, namespace: str, name: str, uid: str | None = None) -> KubeletPodReport | None:
        """The kubelet's live account of a pod it runs (GET /why/{ns}/{pod}); None when it runs none.
        With `uid`, only that pod: a deleted one of the same name may still be stopping here."""
        with self._lock:
            pod = next((w.pod for w in self._workers.values()
                        if w.pod.metadata.namespace == namespace and w.pod.metadata.name == name
                        and uid in (None, w.pod.metadata.uid)), None)
        return self.syncer.explain(pod) if pod is not None else None

    # ----- status out: the SyncReporter the syncer and its prober were built with

    def pod_status_changed(self, pod: Pod, status: api.PodStatus) -> bool:
        meta = pod.metadata
        uid, wire = meta.uid or "", status.to_wire()
        with self._lock:
            if self._reported.get(uid) == wire:
                return True
        cause = self._cause_of(uid)
        try:
            with reacting_to(cause):
                self.client.patch(POD, meta.name, {"metadata": {"uid": uid}, "status": wire}, meta.namespace,
                                  patch_type="application/merge-patch+json", subresource="status")
        except ApiClientError as error:
            log.info("status of %s/%s not written: %s", meta.namespace, meta.name, error)
            return False  # retried at the next sync, since the recorded status did not change
        with self._lock:
            self._reported[uid] = wire
            worker = self._workers.get(uid)
        if worker is not None:
            worker.status_written(cause)
        return True

    def record_event(self, pod: Pod, *, type_: str, reason: str, message: str, field_path: str = "") -> None:
        with reacting_to(self._cause_of(pod.metadata.uid or "")):
            self.events.event(pod.to_wire(), type_=type_, reason=reason, message=message, field_path=field_path)

    def resync_pod(self, uid: str, *, cause: int | None = None) -> None:
        with self._lock:
            worker = self._workers.get(uid)
        if worker is not None:
            # a caller inside `reacting_to` (a fault that crashed a container) is that sync's cause
            worker.poke(cause=cause if cause is not None else current_cause())

    def _cause_of(self, uid: str) -> int | None:
        """What a report about pod `uid` reacts to: a fault no status write has named yet (whichever sync
        reports what it did), else the caller's cause (a worker's sync), else the pod revision its worker
        last acted on (a report from a probe's thread)."""
        with self._lock:
            worker = self._workers.get(uid)
        if worker is not None and (untold := worker.untold_cause) is not None:
            return untold
        if (cause := current_cause()) is not None:
            return cause
        return worker.cause if worker is not None else None

    def pod_terminated(self, pod: Pod, *, confirm_deletion: bool) -> None:
        if confirm_deletion:
            self._confirm_deletion(pod)
        with self._lock:
            self._workers.pop(pod.metadata.uid or "", None)
            self._reported.pop(pod.metadata.uid or "", None)

    def _confirm_deletion(self, pod: Pod) -> None:
        """Containers are gone: let the API object go (kubectl delete returns now)."""
        meta = pod.metadata
        try:
            self.client.request("DELETE", f"{POD.collection_path(meta.namespace)}/{meta.name}",
                                body={"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                                      "preconditions": {"uid": meta.uid}})
        except ApiStatusError as error:
            if error.code not in (404, 409):
                raise

    # ----- runtime watching

    def _relist(self) -> None:
        """PLEG: notice containers that changed state without us (exits, OOM kills, outside removal)."""
        state: dict[str, list] = {}
        for status in self.runtime.list_containers(self.config.node_name):
            state.setdefault(status.pod.uid, []).append((status.id, status.state, status.exit_code))
        for sandbox in self.runtime.list_sandboxes(self.config.node_name):
            state.setdefault(sandbox.pod.uid, []).append((sandbox.id, sandbox.running))
        fresh = {uid: tuple(sorted(items, key=str)) for uid, items in state.items()}
        with self._lock:
            changed = [uid for uid in set(fresh) | set(self._runtime_state)
                       if fresh.get(uid) != self._runtime_state.get(uid)]
            self._runtime_state = fresh
            workers = [self._workers[uid] for uid in changed if uid in self._workers]
        for worker in workers:
            worker.poke()

    def remove_orphans(self) -> None:
        """Containers of pods the API does not know (deleted while we were away) are removed."""
        known = {Pod.model_validate(raw).metadata.uid for raw in self.pods.items()}
        with self._lock:
            known |= set(self._workers)
        orphans: dict[str, PodRef] = {}
        for status in self.runtime.list_containers(self.config.node_name):
            if status.pod.uid not in known:
                orphans[status.pod.uid] = status.pod
        for sandbox in self.runtime.list_sandboxes(self.config.node_name):
            if sandbox.pod.uid not in known:
                orphans[sandbox.pod.uid] = sandbox.pod
        for ref in orphans.values():
            log.info("removing containers of pod %s/%s (%s): the API no longer has it", ref.namespace, ref.name,
                     ref.uid)
            self.syncer.remove_pod(ref)
