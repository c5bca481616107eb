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

from apiclient import ApiClient, ApiStatusError
from apiclient.informer import Informer
from master.controllers.cache_view import ObjectView
from master.controllers.controller import Controller
from master.controllers.pod_template import Obj
from objects.kinds import (
    CONTROLLER_REVISION, DAEMONSET, DEPLOYMENT, ENDPOINT_SLICE, POD, REPLICASET, SERVICE, ResourceType, by_kind,
)
from objects.meta import DeleteOptions, ObjectMeta, OwnerReference, Preconditions

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
# The kinds tinykube serves that own (Deployment, ReplicaSet, DaemonSet, Service) or are owned (ReplicaSet,
# Pod, ControllerRevision, EndpointSlice).
WATCHED_KINDS = (DEPLOYMENT, REPLICASET, DAEMONSET, POD, CONTROLLER_REVISION, SERVICE, ENDPOINT_SLICE)


@dataclass
class _Node:
    """One object of the graph: the informer's cached dict, read through a view (the graph holds every object
    of every watched kind, so none is parsed into a model)."""

    rt: ResourceType
    obj: ObjectView

    @property
    def uid(self) -> str:
        return self.obj.uid

    @property
    def owners(self) -> list[OwnerReference]:
        return self.obj.owner_references()

    def deleting_dependents(self) -> bool:
        return _deleting_dependents(self.obj)

    def blocks(self, owner_uid: str) -> bool:
        return any(r.uid == owner_uid and r.block_owner_deletion for r in self.owners)


class _Graph:
    """uid -> node, and owner uid -> dependent uids; fed by the informers, read by the workers."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._dependents: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def put(self, rt: ResourceType, obj: ObjectView) -> None:
        with self._lock:
            old = self._nodes.get(obj.uid)
            if old is not None:
                self._unlink(old)
            node = self._nodes[obj.uid] = _Node(rt, obj)
            for ref in node.owners:
                self._dependents.setdefault(ref.uid or "", set()).add(node.uid)

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
            dependents = self._dependents.get(ref.uid or "")
            if dependents is not None:
                dependents.discard(node.uid)
                if not dependents:
                    del self._dependents[ref.uid or ""]


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

    def _observed(self, rt: ResourceType, raw: Obj) -> None:
        obj = ObjectView(raw)
        self.graph.put(rt, obj)
        for ref in obj.owner_references():
            owner = self.graph.get(ref.uid or "")
            if owner is None or owner.deleting_dependents() or owner.obj.is_terminating:
                # an owner we have not seen (maybe it never existed), or one going away
                self.queue.add(f"delete/{obj.uid}")
            if owner is not None and owner.deleting_dependents():
                self.queue.add(f"delete/{owner.uid}")  # its wait may be over (our reference changed)
        if obj.is_terminating and ORPHAN in obj.finalizers:
            self.queue.add(f"orphan/{obj.uid}")
        if _deleting_dependents(obj):
            self.queue.add(f"delete/{obj.uid}")
            for dependent in self.graph.dependents(obj.uid):
                self.queue.add(f"delete/{dependent.uid}")

    def _gone(self, raw: Obj) -> None:
        obj = ObjectView(raw)
        self.graph.remove(obj.uid)
        for dependent in self.graph.dependents(obj.uid):
            self.queue.add(f"delete/{dependent.uid}")
        for ref in obj.owner_references():
            owner = self.graph.get(ref.uid or "")
            if owner is not None and owner.deleting_dependents():
                self.queue.add(f"delete/{owner.uid}")

    # ----- reconcile

    def reconcile(self, key: str) -> None:
        action, _, uid = key.partition("/")
        node = self.graph.get(uid)
        if node is None:
            return
        latest = self._get(node.rt, node.obj.name, node.obj.namespace or None, node.uid)
        if latest is None:
            return
        if action == "orphan":
            self._orphan_dependents(node, latest)
        else:
            self._attempt_to_delete(node, latest)

    def _attempt_to_delete(self, node: _Node, meta: ObjectMeta) -> None:
        """attemptToDeleteItem: delete the object if no owner remains, or finish a foreground deletion it waits on."""
        if _deleting_dependents(meta):
            self._finish_foreground_deletion(node, meta)
            return
        if meta.is_terminating or not meta.owner_references:
            return
        solid, dangling, waiting = self._classify_owners(meta)
        if solid:
            if dangling or waiting:
                # A reference to a gone owner, or to one waiting on us, would hold things up: drop it, keep the object.
                self._patch_owner_references(node.rt, meta.name, meta.namespace,
                                             [{"$patch": "delete", "uid": r.uid} for r in dangling + waiting])
            return
        if waiting and self.graph.dependents(node.uid):
            if any(d.deleting_dependents() for d in self.graph.dependents(node.uid)):
                # A cycle of foreground deletions would wait forever: stop blocking our owners.
                self._patch_owner_references(node.rt, meta.name, meta.namespace,
                                             [{"uid": r.uid, "blockOwnerDeletion": False} for r in waiting])
            self._delete(node.rt, meta, "Foreground")
            return
        finalizers = meta.finalizers or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        self._delete(node.rt, meta, policy)

    def _classify_owners(
            self, meta: ObjectMeta) -> tuple[list[OwnerReference], list[OwnerReference], list[OwnerReference]]:
        """Owners that hold the object (solid), are gone (dangling), or wait for it to go (foreground deletion)."""
        solid, dangling, waiting = [], [], []
        for ref in meta.owner_references or []:
            owner_rt = by_kind(ref.api_version or "", ref.kind or "")
            if owner_rt is None:
                solid.append(ref)  # a kind tinykube does not serve: it cannot be checked, so it is never collected
                continue
            owner = self._get(owner_rt, ref.name or "", meta.namespace if owner_rt.namespaced else None, ref.uid)
            if owner is None:
                dangling.append(ref)
            elif _deleting_dependents(owner):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _finish_foreground_deletion(self, node: _Node, meta: ObjectMeta) -> None:
        """processDeletingDependentsItem: delete blocking dependents; when none is left, let the owner go."""
        blocking = [d for d in self.graph.dependents(node.uid) if d.blocks(node.uid)]
        if not blocking:
            self._remove_finalizer(node.rt, meta, FOREGROUND)
            return
        for dependent in blocking:
            if not dependent.deleting_dependents():
                self.queue.add(f"delete/{dependent.uid}")

    def _orphan_dependents(self, node: _Node, meta: ObjectMeta) -> None:
        """Strip the owner's reference from every dependent, then drop the `orphan` finalizer so the owner goes."""
        if not meta.is_terminating or ORPHAN not in (meta.finalizers or []):
            return
        for dependent in self.graph.dependents(node.uid):
            self._patch_owner_references(dependent.rt, dependent.obj.name, dependent.obj.namespace or None,
                                         [{"$patch": "delete", "uid": node.uid}])
        self._remove_finalizer(node.rt, meta, ORPHAN)

    # ----- API calls

    def _get(self, rt: ResourceType, name: str, namespace: str | None, uid: str | None) -> ObjectMeta | None:
        """The live object's metadata, or None when it is gone or is a newer object under the same name."""
        try:
            latest = ObjectMeta.model_validate(self.client.get(rt, name, namespace)["metadata"])
        except ApiStatusError as error:
            if error.code == 404:
                return None
            raise
        return latest if latest.uid == uid else None

    def _delete(self, rt: ResourceType, meta: ObjectMeta, policy: str) -> None:
        path = f"{rt.collection_path(meta.namespace)}/{meta.name}"
        options = DeleteOptions(kind="DeleteOptions", api_version="v1", propagation_policy=policy,
                                preconditions=Preconditions(uid=meta.uid))
        try:
            self.client.request("DELETE", path, body=options.to_wire())
        except ApiStatusError as error:
            if error.code not in (404, 409):  # gone, or replaced by a namesake: not ours to delete
                raise

    def _patch_owner_references(self, rt: ResourceType, name: str, namespace: str | None, changes: list[Obj]) -> None:
        """A strategic merge patch of the object's ownerReferences: `changes` are its directives, keyed by uid."""
        try:
            self.client.patch(rt, name, {"metadata": {"ownerReferences": changes}}, namespace)
        except ApiStatusError as error:
            if error.code != 404:
                raise

    def _remove_finalizer(self, rt: ResourceType, meta: ObjectMeta, finalizer: str) -> None:
        remaining = [f for f in meta.finalizers or [] if f != finalizer]
        if len(remaining) == len(meta.finalizers or []):
            return
        # A merge patch: an empty list is sent as null, which removes the field.
        patch = {"metadata": {"finalizers": remaining or None, "resourceVersion": meta.resource_version}}
        try:
            self.client.patch(rt, meta.name, patch, meta.namespace, patch_type="application/merge-patch+json")
        except ApiStatusError as error:
            if error.code != 404:
                raise


def _deleting_dependents(meta: ObjectMeta | ObjectView) -> bool:
    """Deleted with propagationPolicy=Foreground: it waits for the dependents that block it to go first."""
    return meta.is_terminating and FOREGROUND in (meta.finalizers or [])
