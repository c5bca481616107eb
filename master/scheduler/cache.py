"""The scheduler's view of the cluster: every node and the pods placed or promised on it.

Informers feed it confirmed state; the scheduling loop adds *assumed* pods the
moment it picks a node, before the binding is written, so the next pod of a
burst already sees the node's reduced free space and no node is overcommitted.

    pick node ─► assume(pod) ─► bind ok ─► watch shows spec.nodeName ─► confirmed
                                   └─ bind failed ─► forget(pod) ─► back to the queue
"""

from __future__ import annotations

import threading

from master.scheduler.framework import NodeInfo, PodInfo


class SchedulerCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nodes: dict[str, NodeInfo] = {}
        # The same NodeInfo objects as a list, kept between cycles: copying thousands of nodes
        # for every pod cost more than filtering the few hundred a cycle looks at.
        self._node_list: list[NodeInfo] = []
        self._position: dict[str, int] = {}  # node name -> index in _node_list
        self._placed: dict[str, PodInfo] = {}  # pod key -> the PodInfo counted on its node
        self._assumed: set[str] = set()

    # ----- nodes

    def upsert_node(self, fresh: NodeInfo) -> None:
        """A node added or changed: `fresh` replaces the old NodeInfo and takes over its pods."""
        with self._lock:
            old = self._nodes.get(fresh.name)
            if old is not None:  # keep what is already placed there
                for pod in old.pods.values():
                    fresh.add_pod(pod)
            else:
                for pod in self._placed.values():
                    if pod.node_name == fresh.name:
                        fresh.add_pod(pod)
            self._nodes[fresh.name] = fresh
            at = self._position.get(fresh.name)
            if at is None:
                self._position[fresh.name] = len(self._node_list)
                self._node_list.append(fresh)
            else:
                self._node_list[at] = fresh

    def remove_node(self, name: str) -> None:
        with self._lock:
            if self._nodes.pop(name, None) is not None:
                self._node_list = list(self._nodes.values())
                self._position = {node.name: i for i, node in enumerate(self._node_list)}

    def nodes(self) -> list[NodeInfo]:
        """A snapshot list of the NodeInfo objects (shared: read them only while holding `lock`)."""
        with self._lock:
            return list(self._nodes.values())

    def nodes_locked(self) -> list[NodeInfo]:
        """The live NodeInfo objects, for a cycle that holds `lock` (the cache's own list: do not modify it)."""
        return self._node_list

    def node_count(self) -> int:
        with self._lock:
            return len(self._nodes)

    @property
    def lock(self) -> threading.Lock:
        """Held by the scheduling cycle while it reads NodeInfo objects and assumes a pod."""
        return self._lock

    # ----- pods

    def observe_pod(self, pod: PodInfo) -> None:
        """A pod as the API reports it: count it on its node while it is bound and not finished."""
        with self._lock:
            self._unplace(pod.key)
            self._assumed.discard(pod.key)
            if pod.node_name and not pod.finished:
                self._place(pod)

    def forget_pod(self, key: str) -> None:
        """The pod is gone from the API, or its assumed binding failed."""
        with self._lock:
            self._unplace(key)
            self._assumed.discard(key)

    def assume_locked(self, pod: PodInfo, node_name: str) -> None:
        """Count `pod` on `node_name` now; the caller holds `lock`."""
        pod.node_name = node_name
        self._unplace(pod.key)
        self._place(pod)
        self._assumed.add(pod.key)

    def forget_assumed(self, key: str) -> None:
        """A binding failed: undo our assumption, but never a placement the API already confirmed
        (a bind that timed out may have succeeded, and the informer may have seen it first)."""
        with self._lock:
            if key in self._assumed:
                self._unplace(key)
                self._assumed.discard(key)

    def _place(self, info: PodInfo) -> None:
        self._placed[info.key] = info
        node = self._nodes.get(info.node_name)
        if node is not None:
            node.add_pod(info)

    def _unplace(self, key: str) -> None:
        old = self._placed.pop(key, None)
        if old is not None:
            node = self._nodes.get(old.node_name)
            if node is not None:
                node.remove_pod(old)
