"""The garbage collector: delete what an owner leaves behind, or orphan it, as the owner's deletion asks.

Every object of the kinds that own or are owned is kept in a graph, owner uid ->
dependents. Deleting an owner (propagationPolicy) is answered by the apiserver
with at most a finalizer; the collector does the rest:

    Background (default)  owner gone at once ─► each dependent: no owner left? ─► delete it (and so on down)
    Foreground            owner marked, `foregroundDeletion` ─► delete dependents ─► none blocking? ─► drop finalizer
    Orphan                owner marked, `orphan` ─► strip its reference from dependents ─► drop finalizer

Two kinds of work share one queue: `delete/<uid>` (attemptToDelete: should this
object go, or is it an owner waiting on dependents?) and `orphan/<uid>`. Owners
are always checked with a live read, never the cache, because a cache that has
not seen an owner yet must not get its dependents deleted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from apiclient import ApiClient, ApiStatusError
from apiclient.informer import Informer
from master.controllers.controller import Controller
from master.controllers.pod_template import Obj
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, DEPLOYMENT, POD, REPLICASET, ResourceType, by_kind

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
# The kinds tinykube serves that own (Deployment, ReplicaSet, DaemonSet) or are owned (ReplicaSet, Pod,
# ControllerRevision).
WATCHED_KINDS = (DEPLOYMENT, REPLICASET, DAEMONSET, POD, CONTROLLER_REVISION)


@dataclass
class _Node:
    rt: ResourceType
    obj: Obj

    @property
    def uid(self) -> str:
        return self.obj["metadata"]["uid"]

    @property
    def owners(self) -> list[Obj]:
        return self.obj["metadata"].get("ownerReferences") or []

    def deleting_dependents(self) -> bool:
        return _deleting_dependents(self.obj)

    def blocks(self, owner_uid: str) -> bool:
        return any(r.get("uid") == owner_uid and r.get("blockOwnerDeletion") for r in self.owners)


class _Graph:
    """uid -> node, and owner uid -> dependent uids; fed by the informers, read by the workers."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._dependents: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def put(self, rt: ResourceType, obj: Obj) -> None:
        with self._lock:
            old = self._nodes.get(obj["metadata"]["uid"])
            if old is not None:
                self._unlink(old)
            node = self._nodes[obj["metadata"]["uid"]] = _Node(rt, obj)
            for ref in node.owners:
                self._dependents.setdefault(ref.get("uid", ""), set()).add(node.uid)

    def remove(self, uid: str) -> _Node | None:
        with self._lock:
            node = self._nodes.pop(uid, None)
            if node is not None:
                self._unlink(node)
            return node

    def get(self, uid: str) -> _Node | None:
        with self._lock:
            return self._nodes.get(uid)

    def dependents(self, uid: str) -> list[_Node]:
        with self._lock:
            return [self._nodes[d] for d in self._dependents.get(uid, ()) if d in self._nodes]

    def _unlink(self, node: _Node) -> None:
        for ref in node.owners:
            dependents = self._dependents.get(ref.get("uid", ""))
            if dependents is not None:
                dependents.discard(node.uid)
                if not dependents:
                    del self._dependents[ref.get("uid", "")]


class GarbageCollector(Controller):
    name = "garbage-collector"
    workers = 4

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0):
        super().__init__(client, time_scale=time_scale)
        self.graph = _Graph()
        self.informers = [self._informer(rt) for rt in WATCHED_KINDS]

    def _informer(self, rt: ResourceType) -> Informer:
        return Informer(self.client, rt, on_add=lambda obj: self._observed(rt, obj),
                        on_update=lambda _old, new: self._observed(rt, new),
                        on_delete=lambda obj: self._gone(obj))

    # ----- graph changes: what might need collecting now?

    def _observed(self, rt: ResourceType, obj: Obj) -> None:
        self.graph.put(rt, obj)
        uid, meta = obj["metadata"]["uid"], obj["metadata"]
        for ref in meta.get("ownerReferences") or []:
            owner = self.graph.get(ref.get("uid", ""))
            if owner is None or owner.deleting_dependents() or owner.obj["metadata"].get("deletionTimestamp"):
                self.queue.add(f"delete/{uid}")  # an owner we have not seen (maybe never existed), or one going away
            if owner is not None and owner.deleting_dependents():
                self.queue.add(f"delete/{owner.uid}")  # its wait may be over (our reference changed)
        if meta.get("deletionTimestamp") and ORPHAN in (meta.get("finalizers") or []):
            self.queue.add(f"orphan/{uid}")
        if _deleting_dependents(obj):
            self.queue.add(f"delete/{uid}")
            for dependent in self.graph.dependents(uid):
                self.queue.add(f"delete/{dependent.uid}")

    def _gone(self, obj: Obj) -> None:
        uid = obj["metadata"]["uid"]
        self.graph.remove(uid)
        for dependent in self.graph.dependents(uid):
            self.queue.add(f"delete/{dependent.uid}")
        for ref in obj["metadata"].get("ownerReferences") or []:
            owner = self.graph.get(ref.get("uid", ""))
            if owner is not None and owner.deleting_dependents():
                self.queue.add(f"delete/{owner.uid}")

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        action, _, uid = key.partition("/")
        node = self.graph.get(uid)
        if node is None:
            return
        latest = self._get(node.rt, node.obj)
        if latest is None:
            return
        if action == "orphan":
            self._orphan_dependents(node, latest)
        else:
            self._attempt_to_delete(node, latest)

    def _attempt_to_delete(self, node: _Node, obj: Obj) -> None:
        """attemptToDeleteItem: delete `obj` if no owner remains, or finish a foreground deletion it waits on."""
        meta = obj["metadata"]
        if _deleting_dependents(obj):
            self._finish_foreground_deletion(node, obj)
            return
        if meta.get("deletionTimestamp") or not meta.get("ownerReferences"):
            return
        solid, dangling, waiting = self._classify_owners(obj)
        if solid:
            if dangling or waiting:
                # A reference to a gone owner, or to one waiting on us, would hold things up: drop it, keep the object.
                self._patch_owner_references(node.rt, obj, [{"$patch": "delete", "uid": r["uid"]}
                                                            for r in dangling + waiting])
            return
        if waiting and self.graph.dependents(node.uid):
            if any(d.deleting_dependents() for d in self.graph.dependents(node.uid)):
                # A cycle of foreground deletions would wait forever: stop blocking our owners.
                self._patch_owner_references(node.rt, obj, [{"uid": r["uid"], "blockOwnerDeletion": False}
                                                            for r in waiting])
            self._delete(node.rt, obj, "Foreground")
            return
        finalizers = meta.get("finalizers") or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        self._delete(node.rt, obj, policy)

    def _classify_owners(self, obj: Obj) -> tuple[list[Obj], list[Obj], list[Obj]]:
        """Owners that hold the object (solid), are gone (dangling), or wait for it to go (foreground deletion)."""
        solid, dangling, waiting = [], [], []
        for ref in obj["metadata"]["ownerReferences"]:
            owner_rt = by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
            if owner_rt is None:
                solid.append(ref)  # a kind tinykube does not serve: it cannot be checked, so it is never collected
                continue
            owner = self._get_owner(owner_rt, ref, obj["metadata"].get("namespace"))
            if owner is None:
                dangling.append(ref)
            elif _deleting_dependents(owner):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _finish_foreground_deletion(self, node: _Node, obj: Obj) -> None:
        """processDeletingDependentsItem: delete blocking dependents; when none is left, let the owner go."""
        blocking = [d for d in self.graph.dependents(node.uid) if d.blocks(node.uid)]
        if not blocking:
            self._remove_finalizer(node.rt, obj, FOREGROUND)
            return
        for dependent in blocking:
            if not dependent.deleting_dependents():
                self.queue.add(f"delete/{dependent.uid}")

    def _orphan_dependents(self, node: _Node, obj: Obj) -> None:
        """Strip the owner's reference from every dependent, then drop the `orphan` finalizer so the owner goes."""
        meta = obj["metadata"]
        if not meta.get("deletionTimestamp") or ORPHAN not in (meta.get("finalizers") or []):
            return
        for dependent in self.graph.dependents(node.uid):
            self._patch_owner_references(dependent.rt, dependent.obj, [{"$patch": "delete", "uid": node.uid}])
        self._remove_finalizer(node.rt, obj, ORPHAN)

    # ----- API calls

    def _get(self, rt: ResourceType, obj: Obj) -> Obj | None:
        """The live object, or None when it is gone or is a newer object under the same name."""
        meta = obj["metadata"]
        try:
            latest = self.client.get(rt, meta["name"], meta.get("namespace"))
        except ApiStatusError as error:
            if error.code == 404:
                return None
            raise
        return latest if latest["metadata"]["uid"] == meta["uid"] else None

    def _get_owner(self, rt: ResourceType, ref: Obj, namespace: str | None) -> Obj | None:
        return self._get(rt, {"metadata": {"name": ref.get("name", ""), "uid": ref.get("uid"),
                                           "namespace": namespace if rt.namespaced else None}})

    def _delete(self, rt: ResourceType, obj: Obj, policy: str) -> None:
        meta = obj["metadata"]
        path = f"{rt.collection_path(meta.get('namespace'))}/{meta['name']}"
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": policy,
                                   "preconditions": {"uid": meta["uid"]}}
        try:
            self.client.request("DELETE", path, body=options)
        except ApiStatusError as error:
            if error.code not in (404, 409):  # gone, or replaced by a namesake: not ours to delete
                raise

    def _patch_owner_references(self, rt: ResourceType, obj: Obj, changes: list[Obj]) -> None:
        meta = obj["metadata"]
        try:
            self.client.patch(rt, meta["name"], {"metadata": {"ownerReferences": changes}},
                              meta.get("namespace"))
        except ApiStatusError as error:
            if error.code != 404:
                raise

    def _remove_finalizer(self, rt: ResourceType, obj: Obj, finalizer: str) -> None:
        meta = obj["metadata"]
        remaining = [f for f in meta.get("finalizers") or [] if f != finalizer]
        if len(remaining) == len(meta.get("finalizers") or []):
            return
        patch = {"metadata": {"finalizers": remaining or None, "resourceVersion": meta["resourceVersion"]}}
        try:
            self.client.patch(rt, meta["name"], patch, meta.get("namespace"),
                              patch_type="application/merge-patch+json")
        except ApiStatusError as error:
            if error.code != 404:
                raise


def _deleting_dependents(obj: Obj) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and FOREGROUND in (meta.get("finalizers") or [])
