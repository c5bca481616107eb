"""The cluster as the map shows it, kept live by informers, and the stream every open page follows.

    Informers (nodes, pods, deployments, replicasets) ──handlers──> LiveState ──frame──> Subscriber (one per page)
                                                                        │                  bounded; overflow drops it
                                                                        └── views by key, newest revision

Each change is turned into its view and its Server-Sent Events frame once, in
the informer's thread, and the same bytes are handed to every subscriber: the
cost of a change does not grow with the number of pages open. A subscriber
that falls `MAX_PENDING_FRAMES` behind is dropped (its stream ends and the
page's EventSource reconnects to a fresh snapshot) so a slow page never holds
the server's memory or the other pages back.

A subscriber sees: the API status, then the snapshot as soon as every informer
has synced, then changes and status updates in order. Registering and taking
the snapshot happen under one lock, so no change falls between the two.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from apiclient import ApiClient
from apiclient.informer import Informer, object_key
from cli.dashboard.views import (ApiStatus, Change, ChangeType, DeploymentView, NodeView, PodView, Snapshot,
                                 controller_of, deployment_view, node_view, pod_view)
from objects.kinds import DEPLOYMENT, NODE, POD, REPLICASET

log = logging.getLogger(__name__)

MAX_PENDING_FRAMES = 10_000  # about a minute and a half of 100 pod changes/s


def sse_frame(event: str, model: BaseModel) -> bytes:
    """One Server-Sent Event: its name and its JSON on one data line (JSON never holds a raw newline)."""
    return b"event: " + event.encode() + b"\ndata: " + model.model_dump_json().encode() + b"\n\n"


class Subscriber:
    """One page's stream: frames waiting to be sent. Filled from informer threads, drained by the
    page's response in the event loop; `dropped` once it fell too far behind."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._frames: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self.has_snapshot = False
        self.dropped = False

    def push(self, frame: bytes) -> None:
        if self.dropped:
            return
        if len(self._frames) >= MAX_PENDING_FRAMES:
            self.dropped = True
            self._frames.clear()
        else:
            self._frames.append(frame)
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:
            self.dropped = True  # the server's loop is closed: it is shutting down

    async def next_frames(self, timeout: float) -> list[bytes]:
        """What arrived since the last call (possibly nothing, after `timeout` seconds)."""
        if not self._frames:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                pass
        self._ready.clear()
        frames = []
        while self._frames:
            frames.append(self._frames.popleft())
        return frames


class LiveState:
    def __init__(self, client: ApiClient, initial_status: ApiStatus):
        self._lock = threading.Lock()
        self._nodes: dict[str, NodeView] = {}
        self._pods: dict[str, PodView] = {}
        self._deployments: dict[str, DeploymentView] = {}
        self._revision = 0
        self._status = initial_status
        self._subscribers: set[Subscriber] = set()
        self._synced = False
        self._snapshot_frame: bytes | None = None  # cached until the next change
        # A pod's owner is read through its ReplicaSet. The two kinds come on separate watches, so a new
        # ReplicaSet's first pods may arrive before it does: they wait here (pod key -> "namespace/replicaset")
        # and are shown again with their Deployment when it comes. A deleted pod stops waiting, so pods
        # whose ReplicaSet never comes do not pile up.
        self._awaiting_replica_set: dict[str, str] = {}
        self._replica_sets = Informer(client, REPLICASET, on_add=self._replica_set_arrived,
                                      on_update=self._replica_set_changed)
        self._pod_informer = Informer(client, POD, **self._handlers(
            "Pod", self._pods, self._pod_view, on_gone=lambda key: self._awaiting_replica_set.pop(key, None)))
        self._informers = [
            self._replica_sets,  # first, so the first snapshot's pods have their Deployments
            Informer(client, NODE, **self._handlers("Node", self._nodes, node_view)),
            self._pod_informer,
            Informer(client, DEPLOYMENT, **self._handlers("Deployment", self._deployments, deployment_view)),
        ]

    # ----- the informers' side

    def start(self, stop: threading.Event) -> None:
        threading.Thread(target=self._run, args=(stop,), name="dashboard-informers", daemon=True).start()

    def _run(self, stop: threading.Event) -> None:
        for informer in self._informers:
            informer.start(stop)
            if informer is self._replica_sets:
                while not stop.is_set() and not informer.synced.wait(0.5):
                    pass
        for informer in self._informers:
            while not stop.is_set() and not informer.synced.wait(0.5):
                pass
        if not stop.is_set():
            self._mark_synced()

    def _handlers(self, kind: str, views: dict[str, Any], to_view: Callable[[dict[str, Any]], Any], *,
                  on_gone: Callable[[str], object] = lambda key: None) -> dict[str, Callable[..., None]]:
        def changed(change_type: ChangeType, wire: dict[str, Any]) -> None:
            with self._lock:
                key = object_key(wire)
                self._apply(kind, views, key, change_type, to_view(wire), _revision(wire))
                if change_type == ChangeType.DELETED:
                    on_gone(key)

        def updated(old: dict[str, Any], wire: dict[str, Any]) -> None:
            if _uid(old) != _uid(wire):
                # Deleted and created again under the same name while the watch was down: the relist
                # calls it one update, but it is another object, and the page keys pods by uid.
                changed(ChangeType.DELETED, old)
                changed(ChangeType.ADDED, wire)
            else:
                changed(ChangeType.MODIFIED, wire)

        return {
            "on_add": lambda wire: changed(ChangeType.ADDED, wire),
            "on_update": updated,
            "on_delete": lambda wire: changed(ChangeType.DELETED, wire),
        }

    def _apply(self, kind: str, views: dict[str, Any], key: str, change_type: ChangeType, view: Any,
               revision: int) -> None:
        """Keep one view and tell the pages; the lock is held."""
        if change_type == ChangeType.DELETED:
            views.pop(key, None)
        else:
            views[key] = view
        self._revision = max(self._revision, revision)
        self._snapshot_frame = None
        if self._synced:  # before, the snapshot will carry it
            change = Change(kind=kind, type=change_type, revision=self._revision, **{kind.lower(): view})
            self._publish(sse_frame("change", change), snapshot_taken=True)

    def _pod_view(self, wire: dict[str, Any]) -> PodView:
        """The pod's view (the lock is held); a pod whose ReplicaSet is not known yet waits for it.

        The ReplicaSet is looked up once, for both the owner shown and the wait: looked up twice, a
        ReplicaSet arriving in between would leave the pod shown without its Deployment and not waiting."""
        pod_key, replica_set_key = object_key(wire), _replica_set_of(wire)
        replica_set = self._replica_sets.get(replica_set_key) if replica_set_key is not None else None
        if replica_set_key is not None and replica_set is None:
            self._awaiting_replica_set[pod_key] = replica_set_key
        else:
            self._awaiting_replica_set.pop(pod_key, None)
        owner = controller_of(replica_set) if replica_set is not None else None
        return pod_view(wire, lambda _namespace, _name: owner)

    def _replica_set_arrived(self, wire: dict[str, Any]) -> None:
        replica_set_key = object_key(wire)
        with self._lock:
            self._redraw_pods([pod_key for pod_key, awaited in self._awaiting_replica_set.items()
                               if awaited == replica_set_key])

    def _replica_set_changed(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """A Deployment adopted or released the ReplicaSet: its pods are shown with their new owner.
        Rare, so the pods are simply scanned for the ReplicaSet's."""
        if controller_of(old) == controller_of(new):
            return
        replica_set_key = object_key(new)
        with self._lock:
            self._redraw_pods([object_key(pod) for pod in self._pod_informer.items()
                               if _replica_set_of(pod) == replica_set_key])

    def _redraw_pods(self, pod_keys: list[str]) -> None:
        """Send these pods' views again (their owner changed); the lock is held."""
        for pod_key in pod_keys:
            pod = self._pod_informer.get(pod_key)
            if pod is not None and pod_key in self._pods:
                self._apply("Pod", self._pods, pod_key, ChangeType.MODIFIED, self._pod_view(pod), 0)

    def replica_set_owner(self, namespace: str, name: str) -> str | None:
        replica_set = self._replica_sets.get(f"{namespace}/{name}")
        return controller_of(replica_set) if replica_set is not None else None

    def _mark_synced(self) -> None:
        with self._lock:
            self._synced = True
            waiting = [s for s in self._subscribers if not s.has_snapshot]
            frame = self._snapshot_locked()
            for subscriber in waiting:
                subscriber.has_snapshot = True
                subscriber.push(frame)

    # ----- the health loop's side

    @property
    def status(self) -> ApiStatus:
        return self._status

    def set_status(self, status: ApiStatus) -> None:
        with self._lock:
            if status.state == self._status.state and status.message == self._status.message:
                return
            self._status = status
            self._publish(sse_frame("status", status), snapshot_taken=False)

    # ----- the pages' side

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        subscriber = Subscriber(loop)
        with self._lock:
            subscriber.push(sse_frame("status", self._status))
            if self._synced:
                subscriber.has_snapshot = True
                subscriber.push(self._snapshot_locked())
            self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def _publish(self, frame: bytes, *, snapshot_taken: bool) -> None:
        """Hand one frame to the subscribers (changes only to those that have the snapshot); the lock is held."""
        for subscriber in list(self._subscribers):
            if snapshot_taken and not subscriber.has_snapshot:
                continue
            subscriber.push(frame)
            if subscriber.dropped:
                log.warning("dashboard: a page fell %d events behind; closing its stream", MAX_PENDING_FRAMES)
                self._subscribers.discard(subscriber)

    def _snapshot_locked(self) -> bytes:
        if self._snapshot_frame is None:
            snapshot = Snapshot(revision=self._revision, nodes=list(self._nodes.values()),
                                pods=list(self._pods.values()), deployments=list(self._deployments.values()))
            self._snapshot_frame = sse_frame("snapshot", snapshot)
        return self._snapshot_frame

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(revision=self._revision, nodes=list(self._nodes.values()),
                            pods=list(self._pods.values()), deployments=list(self._deployments.values()))


def _replica_set_of(pod: dict[str, Any]) -> str | None:
    """"namespace/name" of the ReplicaSet that controls a pod, or None when none does."""
    controller = controller_of(pod)
    if controller is None or not controller.startswith("ReplicaSet/"):
        return None
    return f"{(pod.get('metadata') or {}).get('namespace', '')}/{controller.removeprefix('ReplicaSet/')}"


def _uid(wire: dict[str, Any]) -> str | None:
    return (wire.get("metadata") or {}).get("uid")


def _revision(wire: dict[str, Any]) -> int:
    try:
        return int((wire.get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0
