"""The scheduling loop: watch pending pods and nodes, place each pod, bind it.

    informers ─► cache (NodeInfo, PodInfo of placed pods) and queue (keys of pending pods)
    loop:  pop ─► cycle under the cache lock ─► assume ─► binder pool ─► POST pods/{name}/binding
                                       └─► no fit ─► queue.unschedulable + report (FailedScheduling)

The loop is single-threaded, like kube-scheduler's scheduleOne, so two pods of a
burst never race for the same free space; binding is the slow part (an API
write) and runs in a pool, with the cache already charged for the pod. Each
handler that requeues parked pods says why in a few words ("node node-2
added"), which the pod's attempt history shows; when no node fits, the search
for suggestions runs later, in the reporter's thread (`_suggest`). Pod
events are asked their few questions through `PodView`, a light typed view of
the informer's dict; the pod being scheduled and the pods the cache keeps
become PodInfo through the `Pod` model, nodes NodeInfo through the `Node` model.

Every write about a pod (its binding, its explanation, its Scheduled or
FailedScheduling event and condition) reacts to the pod revision the cycle
scheduled (apiclient.provenance): the informer's copy carries it, and the
binder and the reporter take it into their own threads.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import partial
from typing import Any

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.informer import Informer
from apiclient.provenance import reacting_to
from master.scheduler.cache import SchedulerCache
from master.scheduler.cycle import Cycle, CycleResult
from master.scheduler.explanation import explain, scheduled_message, unschedulable_message
from master.scheduler.framework import NodeInfo, PodInfo
from master.scheduler.profile import Profile
from master.scheduler.queue import SchedulingQueue
from master.scheduler.reporter import Reporter
from master.scheduler.suggestions import suggest
from master.scheduler.templates import Templates
from objects.explanation import Suggestion
from objects.kinds import NODE, POD
from objects.meta import ObjectMeta, ObjectReference
from objects.node import Node, NodeSpec, NodeStatus
from objects.phases import is_finished_phase
from objects.pod import Binding, Pod

log = logging.getLogger(__name__)

# The schedulerName the API gives a pod that names none; pods naming another scheduler are left to it.
DEFAULT_SCHEDULER_NAME = "default-scheduler"


class Scheduler:
    def __init__(self, client: ApiClient, profile: Profile, *, seed: int | None = None, time_scale: float = 1.0,
                 bind_workers: int = 8, percentage_of_nodes_to_score: int = 0, explain_attempts: bool = True):
        self.client = client
        self.profile = profile
        self.cache = SchedulerCache()
        self.queue = SchedulingQueue(time_scale=time_scale)
        self.cycle = Cycle(profile, rng=random.Random(seed), percentage_of_nodes_to_score=percentage_of_nodes_to_score)
        self.reporter = Reporter(client)
        self.templates = Templates(client)
        self.explain_attempts = explain_attempts
        self._binder = ThreadPoolExecutor(bind_workers, thread_name_prefix="scheduler-bind")
        self.pods = Informer(client, POD, on_add=self._pod_added, on_update=self._pod_updated,
                             on_delete=self._pod_deleted)
        self.nodes = Informer(client, NODE, on_add=self._node_added, on_update=self._node_updated,
                              on_delete=self._node_deleted)

    # ----- lifecycle

    def run(self, stop: threading.Event) -> None:
        self.nodes.start(stop)
        self.nodes.synced.wait()
        self.pods.start(stop)
        self.pods.synced.wait()
        log.info("scheduler running: %d nodes, %d pods pending", self.cache.node_count(), len(self.queue))
        closer = threading.Thread(target=lambda: (stop.wait(), self.queue.close()), daemon=True)
        closer.start()
        while not stop.is_set():
            key = self.queue.pop()
            if key is None:
                continue
            try:
                self.schedule_one(key)
            except Exception:  # the loop outlives one bad pod
                log.exception("scheduling %s failed", key)
                self.queue.retry_later(key)
        self._binder.shutdown(wait=False, cancel_futures=True)
        self.reporter.close()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="scheduler", daemon=True)
        thread.start()
        return thread

    # ----- one pod

    def schedule_one(self, key: str) -> CycleResult | None:
        wire = self.pods.get(key)
        if wire is None or not PodView(wire).needs_scheduling:
            self.queue.remove(key)
            return None
        pod_obj = Pod.model_validate(wire)
        pod = PodInfo.from_model(pod_obj)
        with self.cache.lock:
            result = self.cycle.run(pod, self.cache.nodes_locked())
            if result.node is not None:
                self.cache.assume_locked(pod, result.node)
        with reacting_to(pod_obj.metadata.resource_version):  # the revision this cycle placed (or could not)
            self._report_and_bind(key, result, pod_obj, wire)
        return result

    def _report_and_bind(self, key: str, result: CycleResult, pod_obj: Pod, wire: dict[str, Any]) -> None:
        if self.explain_attempts:
            self._explain(key, result, pod_obj)
        if result.node is None:
            self.queue.unschedulable(key)
            message = unschedulable_message(result)
            self.reporter.unschedulable(pod_obj, message)
            self.reporter.event(wire, type_="Warning", reason="FailedScheduling", message=message,
                                action="Scheduling")
        else:
            self._binder.submit(self._bind, wire, result)

    def _explain(self, key: str, result: CycleResult, pod: Pod) -> None:
        """Note the attempt in the pod's history and hand its explanation to the reporter, with the
        search for suggestions when no node fitted (run there, off this loop)."""
        now = datetime.now(timezone.utc)
        explanation = explain(result, self.profile, now=now)
        explanation.attempts = self.queue.record_attempt(key, result=explanation.result,
                                                         message=explanation.message, at=now.timestamp())
        advise = None if result.node else partial(self._suggest, pod, result.pod)
        self.reporter.explanation(key, explanation, advise=advise)

    def _suggest(self, pod: Pod, info: PodInfo) -> list[Suggestion]:
        """The checked changes that would let `pod` fit now (suggestions.py), aimed at its template.
        Runs in the reporter's thread; holds the cache lock while it scans the nodes."""
        template = self.templates.of(pod)
        with self.cache.lock:
            return suggest(pod, info, self.cache.nodes_locked(), self.profile.filters, template)

    def _bind(self, wire: dict[str, Any], result: CycleResult) -> None:
        """In a binder thread: the cause comes from the pod as the cycle saw it, not from the context."""
        with reacting_to(wire["metadata"].get("resourceVersion")):
            self._post_binding(wire, result)

    def _post_binding(self, wire: dict[str, Any], result: CycleResult) -> None:
        pod = result.pod
        binding = Binding(metadata=ObjectMeta(name=pod.name, namespace=pod.namespace, uid=pod.uid or None),
                          target=ObjectReference(api_version="v1", kind=NODE.kind, name=result.node))
        try:
            self.client.create(POD, binding.to_wire(), pod.namespace, subresource_of=pod.name, subresource="binding")
        except ApiClientError as error:
            log.info("binding %s to %s failed: %s", pod.key, result.node, error)
            self.cache.forget_assumed(pod.key)
            if isinstance(error, ApiStatusError) and error.code == 404:
                self.queue.remove(pod.key)
            else:
                self.queue.retry_later(pod.key, cause=f"backoff expired after binding to {result.node} failed")
            return
        self.queue.done(pod.key)
        self.reporter.event(wire, type_="Normal", reason="Scheduled", message=scheduled_message(result),
                            action="Binding")

    # ----- informer handlers: keep the cache (typed views of bound pods and nodes) and the queue current

    def _pod_added(self, wire: dict[str, Any]) -> None:
        pod = PodView(wire)
        if pod.needs_scheduling:
            self.queue.add(pod.key)
        else:
            self.cache.observe_pod(PodInfo.from_pod(wire))

    def _pod_updated(self, old_wire: dict[str, Any], new_wire: dict[str, Any]) -> None:
        old, new = PodView(old_wire), PodView(new_wire)
        if new.needs_scheduling:
            change = new.placement_change(old)
            if change:  # not on our own status writes
                self.queue.add(new.key, cause=change)
            return
        self.queue.remove(new.key)
        self.cache.observe_pod(PodInfo.from_pod(new_wire))
        if new.is_finished and not old.is_finished:  # its node has room again
            self.queue.cluster_changed(f"pod {new.key} finished on {new.node_name}")

    def _pod_deleted(self, wire: dict[str, Any]) -> None:
        pod = PodView(wire)
        self.queue.remove(pod.key)
        if pod.node_name:
            self.cache.forget_pod(pod.key)
            self.queue.cluster_changed(f"pod {pod.key} deleted from {pod.node_name}")

    def _node_added(self, wire: dict[str, Any]) -> None:
        node = NodeInfo.from_node(wire)
        self.cache.upsert_node(node)
        self.queue.cluster_changed(f"node {node.name} added")

    def _node_updated(self, old_wire: dict[str, Any], new_wire: dict[str, Any]) -> None:
        new = Node.model_validate(new_wire)
        self.cache.upsert_node(NodeInfo.from_model(new))
        changes = _fit_changes(Node.model_validate(old_wire), new)
        if changes:
            self.queue.cluster_changed(f"node {new.metadata.name} changed: {', '.join(changes)}")

    def _node_deleted(self, wire: dict[str, Any]) -> None:
        self.cache.remove_node(Node.model_validate(wire).metadata.name or "")


class PodView:
    """The few things every pod event is asked, read straight from the informer's wire dict.

    A light view rather than the `Pod` model on purpose: every pod event lands here, most only to
    be queued (pending) or passed on, and inside the running master validating the model cost the
    add handler about 50 us where this costs about 11 (thread CPU per event, bench.scheduler with
    500 nodes). Pods the cache keeps become a PodInfo, through the model."""

    __slots__ = ("_metadata", "_spec", "_status")

    def __init__(self, wire: dict[str, Any]) -> None:
        self._metadata: dict[str, Any] = wire["metadata"]
        self._spec: dict[str, Any] = wire.get("spec") or {}
        self._status: dict[str, Any] = wire.get("status") or {}

    @property
    def key(self) -> str:
        """The informer's key for the pod: namespace/name."""
        return f"{self._metadata.get('namespace', '')}/{self._metadata['name']}"

    @property
    def node_name(self) -> str:
        return self._spec.get("nodeName") or ""

    @property
    def is_terminating(self) -> bool:
        return bool(self._metadata.get("deletionTimestamp"))

    @property
    def is_finished(self) -> bool:
        return is_finished_phase(self._status.get("phase"))

    @property
    def scheduler_name(self) -> str:
        return self._spec.get("schedulerName", DEFAULT_SCHEDULER_NAME)  # an explicit "" names no scheduler

    @property
    def needs_scheduling(self) -> bool:
        """Unbound, not being deleted, not finished, and addressed to this scheduler."""
        return (not self.node_name and not self.is_terminating and not self.is_finished
                and self.scheduler_name == DEFAULT_SCHEDULER_NAME)

    def placement_change(self, other: PodView) -> str:
        """What changed since `other` of what the filters read of a pod ("pod spec changed", "pod labels
        changed"), or "" when nothing did."""
        if self._spec != other._spec:
            return "pod spec changed"
        if self._metadata.get("labels") != other._metadata.get("labels"):
            return "pod labels changed"
        return ""


def _fit_changes(old: Node, new: Node) -> list[str]:
    """What changed that can make a parked pod fit somewhere: labels, taints, cordon (or other spec),
    allocatable, conditions (named with their new status when it moved, e.g. "Ready=True")."""
    changes = []
    if old.metadata.labels != new.metadata.labels:
        changes.append("labels")
    old_spec, new_spec = old.spec or NodeSpec(), new.spec or NodeSpec()
    if old_spec != new_spec:
        moved = [name for name, was, now in (("taints", old_spec.taints, new_spec.taints),
                                             ("unschedulable", old_spec.unschedulable, new_spec.unschedulable))
                 if was != now]
        changes.extend(moved or ["spec"])
    old_status, new_status = old.status or NodeStatus(), new.status or NodeStatus()
    if old_status.allocatable != new_status.allocatable:
        changes.append("allocatable")
    if old_status.conditions != new_status.conditions:
        was = {c.type: c.status for c in old_status.conditions or []}
        moved = [f"{c.type}={c.status}" for c in new_status.conditions or [] if was.get(c.type) != c.status]
        changes.extend(moved or ["conditions"])
    return changes
