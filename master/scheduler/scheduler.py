"""The scheduling loop: watch pending pods and nodes, place each pod, bind it.

    informers ─► Pod / Node models ─► cache (NodeInfo + placed PodInfo) and queue (pending pod keys)
    loop:  pop ─► cycle under the cache lock ─► assume ─► binder pool ─► POST pods/{name}/binding
                                       └─► no fit ─► queue.unschedulable + report (FailedScheduling)

The loop is single-threaded, like kube-scheduler's scheduleOne, so two pods of a
burst never race for the same free space; binding is the slow part (an API
write) and runs in a pool, with the cache already charged for the pod. Wire
dicts stop at the handlers: each object is validated into its model once, and
only the event recorder still gets the informer's dict.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.informer import Informer, object_key
from master.scheduler.cache import SchedulerCache
from master.scheduler.cycle import Cycle, CycleResult
from master.scheduler.explanation import explain, scheduled_message, unschedulable_message
from master.scheduler.framework import NodeInfo, PodInfo
from master.scheduler.profile import Profile
from master.scheduler.queue import SchedulingQueue
from master.scheduler.reporter import Reporter
from objects.kinds import NODE, POD
from objects.meta import ObjectMeta, ObjectReference
from objects.node import Node, NodeStatus
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
        pod_obj = Pod.model_validate(wire) if wire is not None else None
        if pod_obj is None or not _needs_scheduling(pod_obj):
            self.queue.remove(key)
            return None
        pod = PodInfo.from_model(pod_obj)
        with self.cache.lock:
            result = self.cycle.run(pod, self.cache.nodes_locked())
            if result.node is not None:
                self.cache.assume_locked(pod, result.node)
        if self.explain_attempts:
            self.reporter.explanation(key, explain(result, self.profile))
        if result.node is None:
            self.queue.unschedulable(key)
            message = unschedulable_message(result)
            self.reporter.unschedulable(pod_obj, message)
            self.reporter.event(wire, type_="Warning", reason="FailedScheduling", message=message,
                                action="Scheduling")
        else:
            self._binder.submit(self._bind, wire, result)
        return result

    def _bind(self, wire: dict[str, Any], result: CycleResult) -> None:
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
                self.queue.retry_later(pod.key)
            return
        self.queue.done(pod.key)
        self.reporter.event(wire, type_="Normal", reason="Scheduled", message=scheduled_message(result),
                            action="Binding")

    # ----- informer handlers: each object is read into its model once, the cache gets the typed views

    def _pod_added(self, wire: dict[str, Any]) -> None:
        pod = Pod.model_validate(wire)
        if _needs_scheduling(pod):
            self.queue.add(object_key(wire))
        else:
            self.cache.observe_pod(PodInfo.from_model(pod))

    def _pod_updated(self, old_wire: dict[str, Any], new_wire: dict[str, Any]) -> None:
        new = Pod.model_validate(new_wire)
        if _needs_scheduling(new):
            if _placement_inputs_changed(Pod.model_validate(old_wire), new):  # not on our own status writes
                self.queue.add(object_key(new_wire))
            return
        self.queue.remove(object_key(new_wire))
        self.cache.observe_pod(PodInfo.from_model(new))
        if new.is_finished and not Pod.model_validate(old_wire).is_finished:  # its node has room again
            self.queue.cluster_changed()

    def _pod_deleted(self, wire: dict[str, Any]) -> None:
        key = object_key(wire)
        self.queue.remove(key)
        if Pod.model_validate(wire).node_name:
            self.cache.forget_pod(key)
            self.queue.cluster_changed()

    def _node_added(self, wire: dict[str, Any]) -> None:
        self.cache.upsert_node(NodeInfo.from_node(wire))
        self.queue.cluster_changed()

    def _node_updated(self, old_wire: dict[str, Any], new_wire: dict[str, Any]) -> None:
        new = Node.model_validate(new_wire)
        self.cache.upsert_node(NodeInfo.from_model(new))
        if _fit_changed(Node.model_validate(old_wire), new):
            self.queue.cluster_changed()

    def _node_deleted(self, wire: dict[str, Any]) -> None:
        self.cache.remove_node(Node.model_validate(wire).metadata.name or "")


def _needs_scheduling(pod: Pod) -> bool:
    """Unbound, not being deleted, not finished, and addressed to this scheduler."""
    scheduler_name = (pod.spec.scheduler_name if pod.spec else None) or DEFAULT_SCHEDULER_NAME
    return (not pod.node_name and not pod.is_terminating and not pod.is_finished
            and scheduler_name == DEFAULT_SCHEDULER_NAME)


def _placement_inputs_changed(old: Pod, new: Pod) -> bool:
    """What the filters read of a pod: its spec and its labels."""
    return old.spec != new.spec or old.metadata.labels != new.metadata.labels


def _fit_changed(old: Node, new: Node) -> bool:
    """A change that can make a parked pod fit somewhere: labels, spec (taints, cordon), allocatable,
    conditions (readiness)."""
    old_status, new_status = old.status or NodeStatus(), new.status or NodeStatus()
    return (old.metadata.labels != new.metadata.labels or old.spec != new.spec
            or old_status.allocatable != new_status.allocatable or old_status.conditions != new_status.conditions)
