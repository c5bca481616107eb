"""The scheduling loop: watch pending pods and nodes, place each pod, bind it.

    informers ─► cache (nodes + placed pods) and queue (pending pods)
    loop:  pop ─► cycle under the cache lock ─► assume ─► binder pool ─► POST pods/{name}/binding
                                       └─► no fit ─► queue.unschedulable + report (FailedScheduling)

The loop is single-threaded, like kube-scheduler's scheduleOne, so two pods of a
burst never race for the same free space; binding is the slow part (an API
write) and runs in a pool, with the cache already charged for the pod.
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
from master.scheduler.framework import PodInfo
from master.scheduler.profile import Profile
from master.scheduler.queue import SchedulingQueue
from master.scheduler.reporter import COMPONENT, Reporter
from objects.kinds import NODE, POD

log = logging.getLogger(__name__)

# Node fields whose change can make a parked pod fit somewhere.
NODE_FIELDS_THAT_MATTER = (("metadata", "labels"), ("spec",), ("status", "allocatable"), ("status", "conditions"))


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
        pod_obj = self.pods.get(key)
        if pod_obj is None or not _needs_scheduling(pod_obj):
            self.queue.remove(key)
            return None
        pod = PodInfo.from_pod(pod_obj)
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
            self.reporter.event(pod_obj, type_="Warning", reason="FailedScheduling", message=message,
                                action="Scheduling")
        else:
            self._binder.submit(self._bind, pod_obj, result)
        return result

    def _bind(self, pod_obj: dict[str, Any], result: CycleResult) -> None:
        key, meta = object_key(pod_obj), pod_obj["metadata"]
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta.get("uid")},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": result.node}}
        try:
            self.client.create(POD, binding, meta["namespace"], subresource_of=meta["name"], subresource="binding")
        except ApiClientError as error:
            log.info("binding %s to %s failed: %s", key, result.node, error)
            self.cache.forget_assumed(key)
            if isinstance(error, ApiStatusError) and error.code == 404:
                self.queue.remove(key)
            else:
                self.queue.retry_later(key)
            return
        self.queue.done(key)
        self.reporter.event(pod_obj, type_="Normal", reason="Scheduled", message=scheduled_message(result),
                            action="Binding")

    # ----- informer handlers: keep the cache and queue current

    def _pod_added(self, pod: dict[str, Any]) -> None:
        if _needs_scheduling(pod):
            self.queue.add(object_key(pod))
        else:
            self.cache.observe_pod(pod)

    def _pod_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        key = object_key(new)
        if _needs_scheduling(new):
            if _spec_or_labels_changed(old, new):  # our own status writes must not requeue the pod
                self.queue.add(key)
            return
        self.queue.remove(key)
        self.cache.observe_pod(new)
        if _finished(new) and not _finished(old):
            self.queue.cluster_changed()

    def _pod_deleted(self, pod: dict[str, Any]) -> None:
        key = object_key(pod)
        self.queue.remove(key)
        if (pod.get("spec") or {}).get("nodeName"):
            self.cache.forget_pod(key)
            self.queue.cluster_changed()

    def _node_added(self, node: dict[str, Any]) -> None:
        self.cache.upsert_node(node)
        self.queue.cluster_changed()

    def _node_updated(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.cache.upsert_node(new)
        if any(_dig(old, path) != _dig(new, path) for path in NODE_FIELDS_THAT_MATTER):
            self.queue.cluster_changed()

    def _node_deleted(self, node: dict[str, Any]) -> None:
        self.cache.remove_node(node["metadata"]["name"])


def _needs_scheduling(pod: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    return (not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp")
            and spec.get("schedulerName", COMPONENT) == COMPONENT and not _finished(pod))


def _finished(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _spec_or_labels_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return old.get("spec") != new.get("spec") or old["metadata"].get("labels") != new["metadata"].get("labels")


def _dig(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        obj = (obj or {}).get(part)
    return obj
