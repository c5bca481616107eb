"""DaemonSetController: one pod of a DaemonSet's template on every node that should run it.

As kube-controller-manager's daemon set controller, keyed by namespace/name:

    reconcile(ds):
      0. history   the ControllerRevision of spec.template (created if new) and the old ones
                   (master/controllers/daemonset_history.py); hash = its controller-revision-hash
      1. manage    for every node, placement(ds, node):
                     should run, no pod                  ─► create one, pinned by matchFields
                                                             metadata.name In [node] (the scheduler binds it)
                     should not even keep running one    ─► delete its pods (nodeSelector/affinity no longer match,
                                                             or a NoExecute taint it does not tolerate)
                     Failed or Succeeded pod             ─► delete it (a new one follows), with backoff
                     more than one pod                   ─► delete all but the oldest
                   pods on nodes that no longer exist    ─► delete them, gracePeriodSeconds=0
      2. roll      RollingUpdate, nothing else to do: delete pods of an older hash, while at most
                   maxUnavailable nodes lack an available pod (step 1 then creates the new pod)
                   OnDelete: nothing; a pod deleted by hand comes back with the new template
      3. cleanup   delete old revisions beyond spec.revisionHistoryLimit that no pod runs any more
      4. status    desiredNumberScheduled, currentNumberScheduled, numberReady, numberAvailable, ...
      5. why       every node, whether it runs the daemon, and the rule that keeps it off (daemonset_report)

A node should run the daemon when the template's nodeSelector and required node
affinity match it and its pod tolerates every NoSchedule and NoExecute taint;
an untolerated NoSchedule taint keeps new pods off but lets a running one stay.
Every daemon pod tolerates not-ready and unreachable (NoExecute, forever) and
the pressure and unschedulable NoSchedule taints, as Kubernetes adds them.

Pods on a deleted node are deleted with gracePeriodSeconds=0, the pod garbage
collector's job in Kubernetes (tinykube has none): no kubelet is left to
confirm a graceful delete.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.events import EventRecorder
from apiclient.informer import Informer, object_key
from apiclient.why_reports import ReportPublisher
from master.controllers.cache_view import ObjectView, PodView, only_status_changed
from master.controllers.controller import Controller
from master.controllers.daemonset_history import CONTROLLER_REVISION_HASH, DaemonSetHistory, live_hashes
from master.controllers.daemonset_report import daemon_set_report
from master.controllers.pod_template import controller_ref, event_subject
from master.scheduler.framework import NodeInfo, PodInfo, Taint
from master.scheduler.plugins import node_affinity
from master.scheduler.plugins.taint_toleration import NO_EXECUTE, NO_SCHEDULE, pod_tolerations, tolerates
from objects.apps import DaemonSet, DaemonSetStatus, DaemonSetUpdateStrategyType
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, NODE, POD
from objects.meta import IntOrString, ObjectMeta
from objects.phases import PodPhase
from objects.pod import (
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Toleration,
)

log = logging.getLogger(__name__)

# What Kubernetes adds to every daemon pod (pkg/controller/daemon/util: AddOrUpdateDaemonPodTolerations).
DAEMON_TOLERATIONS = (
    Toleration(key="node.kubernetes.io/not-ready", operator="Exists", effect=NO_EXECUTE),
    Toleration(key="node.kubernetes.io/unreachable", operator="Exists", effect=NO_EXECUTE),
    Toleration(key="node.kubernetes.io/disk-pressure", operator="Exists", effect=NO_SCHEDULE),
    Toleration(key="node.kubernetes.io/memory-pressure", operator="Exists", effect=NO_SCHEDULE),
    Toleration(key="node.kubernetes.io/pid-pressure", operator="Exists", effect=NO_SCHEDULE),
    Toleration(key="node.kubernetes.io/unschedulable", operator="Exists", effect=NO_SCHEDULE),
)
HOST_NETWORK_TOLERATION = Toleration(key="node.kubernetes.io/network-unavailable", operator="Exists",
                                     effect=NO_SCHEDULE)

EXPECTATIONS_TTL_SECONDS = 300.0  # client-go's ExpectationsTimeout: a lost watch event cannot stall a DaemonSet forever
FAILED_POD_BACKOFF_SECONDS = (1.0, 900.0)  # first and longest wait before replacing a failed pod again
STATUS_UPDATE_RETRIES = 3


@dataclass(frozen=True)
class Placement:
    should_run: bool  # a new daemon pod belongs on this node
    should_continue_running: bool  # a daemon pod already there may stay
    # The rule that keeps a new daemon pod off the node, in words (for its why); "" when it belongs there.
    reason: str = field(default="", compare=False)


class DaemonSetController(Controller):
    name = "daemonset"

    def __init__(self, client: ApiClient, *, time_scale: float = 1.0, clock: Callable[[], float] = time.monotonic):
        super().__init__(client, time_scale=time_scale)
        self.clock = clock
        self.recorder = EventRecorder(client, component="daemonset-controller")
        self.expectations = Expectations(ttl=EXPECTATIONS_TTL_SECONDS * time_scale, clock=clock)
        self._backoff_lock = threading.Lock()
        self._failed_backoff: dict[tuple[str, str], tuple[float, float]] = {}  # (ds uid, node) -> (not before, delay)
        self.daemonsets = Informer(client, DAEMONSET, on_add=self._enqueue,
                                   on_update=self._on_daemonset_update, on_delete=self._on_daemonset_delete)
        self.pods = Informer(client, POD, on_add=self._on_pod_add, on_update=self._on_pod_update,
                             on_delete=self._on_pod_delete)
        self.nodes = Informer(client, NODE, on_add=self._enqueue_all, on_update=self._on_node_update,
                              on_delete=self._enqueue_all)
        self.revisions = Informer(client, CONTROLLER_REVISION, on_add=self._on_revision_change,
                                  on_update=lambda old, new: self._on_revision_change(new),
                                  on_delete=self._on_revision_change)
        self.informers = [self.daemonsets, self.pods, self.nodes, self.revisions]
        self.history = DaemonSetHistory(client, self.revisions)
        self.reports = ReportPublisher(client, DAEMONSET)

    def run(self, stop: threading.Event) -> None:
        try:
            super().run(stop)
        finally:
            self.recorder.close()

    def reconcile(self, key: str) -> None:
        cached = self.daemonsets.get(key)
        if cached is None:
            self.expectations.forget(key)
            self.reports.forget(*key.split("/", 1))
            return
        ds = DaemonSet.model_validate(cached)
        if ds.metadata.is_terminating:
            return  # its pods and revisions go with it (garbage collection), nothing to keep up
        current, old_revisions = self.history.construct(ds)
        template_hash = current.metadata.labels[CONTROLLER_REVISION_HASH]
        nodes = sorted((NodeInfo.from_node(n) for n in self.nodes.items()), key=lambda n: n.name)
        # Where the daemon belongs is asked of every node by each step below: decide it once per reconcile.
        template = daemon_pod_info(ds)
        placements = {node.name: placement(template, ds, node) for node in nodes}
        pods_by_node = self._daemon_pods_by_node(ds)
        caught_up = self.expectations.satisfied(key)
        if caught_up:  # the informer has seen our last writes: its view is safe to act on
            to_create, to_delete = self._manage(ds, placements, pods_by_node)
            if not to_create and not to_delete and _strategy(ds) == DaemonSetUpdateStrategyType.ROLLING_UPDATE:
                to_delete = self._roll(ds, placements, pods_by_node, template_hash)
            self._sync_nodes(ds, to_create, to_delete, template_hash, set(placements))
            self.history.cleanup(ds, old_revisions, live_hashes([p for pods in pods_by_node.values() for p in pods]))
        self._update_status(ds, placements, pods_by_node, template_hash, observed=caught_up)
        self.reports.publish(daemon_set_report(ds, placements, pods_by_node))

    # ----- 1. manage

    def _manage(self, ds: DaemonSet, placements: dict[str, Placement],
                pods_by_node: dict[str, list[PodView]]) -> tuple[list[str], list[PodView]]:
        """The nodes that need a daemon pod, and the daemon pods that must go."""
        to_create: list[str] = []
        to_delete: list[PodView] = []
        for name, where in placements.items():
            pods = pods_by_node.get(name, [])
            if where.should_run and not pods:
                to_create.append(name)
            elif where.should_continue_running:
                to_delete += self._pods_to_prune(ds, name, pods)
            else:
                to_delete += [pod for pod in pods if not pod.is_terminating]
        for node_name, pods in pods_by_node.items():
            if node_name not in placements:
                to_delete += pods  # even a Terminating one: nobody is left to finish it
        return to_create, to_delete

    def _pods_to_prune(self, ds: DaemonSet, node_name: str, pods: list[PodView]) -> list[PodView]:
        """Finished pods (their replacement comes next time), and all but the oldest of several running ones."""
        finished, running = [], []
        for pod in pods:
            if pod.is_terminating:
                continue
            failed = pod.phase == PodPhase.FAILED
            if failed and self._in_failed_backoff(ds, node_name):
                continue
            if pod.is_finished:
                self.recorder.event(event_subject(ds), type_="Warning" if failed else "Normal",
                                    reason="FailedDaemonPod" if failed else "SucceededDaemonPod",
                                    message=f"Found {pod.phase.lower()} daemon pod {pod.key} "
                                            f"on node {node_name}, will try to delete it")
                finished.append(pod)
            else:
                running.append(pod)
        return finished + sorted(running, key=_oldest_first)[1:]

    def _in_failed_backoff(self, ds: DaemonSet, node_name: str) -> bool:
        """A node that keeps failing the daemon's pod gets it back after 1s, 2s, 4s ... up to 15 minutes."""
        first, longest = (s * self.time_scale for s in FAILED_POD_BACKOFF_SECONDS)
        key, now = (ds.metadata.uid, node_name), self.clock()
        with self._backoff_lock:
            not_before, delay = self._failed_backoff.get(key, (0.0, 0.0))
            if now < not_before:
                self.queue.add_after(_key(ds), not_before - now)
                return True
            delay = min(delay * 2, longest) if delay else first
            self._failed_backoff[key] = (now + delay, delay)
        return False

    # ----- 2. roll

    def _roll(self, ds: DaemonSet, placements: dict[str, Placement], pods_by_node: dict[str, list[PodView]],
              template_hash: str) -> list[PodView]:
        wanted = {name: pods_by_node.get(name, []) for name, where in placements.items() if where.should_run}
        strategy = ds.spec.update_strategy
        rolling = strategy.rolling_update if strategy else None
        max_unavailable = rolling.max_unavailable if rolling and rolling.max_unavailable is not None else 1
        return pods_to_replace(wanted, template_hash, max_unavailable=scaled_count(max_unavailable, len(wanted)) or 1,
                               min_ready_seconds=ds.spec.min_ready_seconds or 0, now=_utcnow())

    # ----- writes

    def _sync_nodes(self, ds: DaemonSet, to_create: list[str], to_delete: list[PodView],
                    template_hash: str, existing_nodes: set[str]) -> None:
        """Create and delete, having first told the expectations what the informer should soon show."""
        if not to_create and not to_delete:
            return
        key, errors = _key(ds), []
        namespace = ds.metadata.namespace
        # a pod already Terminating (only on a vanished node) shows no new deletionTimestamp: expect nothing of it
        fresh_deletes = [pod for pod in to_delete if not pod.is_terminating]
        self.expectations.expect(key, creates=len(to_create), deletes=len(fresh_deletes))
        for node_name in to_create:
            try:
                pod = self.client.create(POD, daemon_pod(ds, node_name, template_hash).to_wire(), namespace)
            except ApiClientError as error:
                self.expectations.observe_creation(key)  # it will never arrive
                self.recorder.event(event_subject(ds), type_="Warning", reason="FailedCreate",
                                    message=f"Error creating: {error}")
                errors.append(error)
                continue
            self.recorder.event(event_subject(ds), type_="Normal", reason="SuccessfulCreate",
                                message=f"Created pod: {ObjectView(pod).name}")
        for pod in to_delete:
            orphaned = bool(pod.node_name) and pod.node_name not in existing_nodes
            try:
                self.client.delete(POD, pod.name, namespace, grace_period_seconds=0 if orphaned else None)
            except ApiClientError as error:
                if not pod.is_terminating:
                    self.expectations.observe_deletion(key)
                if isinstance(error, ApiStatusError) and error.code == 404:
                    continue
                self.recorder.event(event_subject(ds), type_="Warning", reason="FailedDelete",
                                    message=f"Error deleting: {error}")
                errors.append(error)
                continue
            self.recorder.event(event_subject(ds), type_="Normal", reason="SuccessfulDelete",
                                message=f"Deleted pod: {pod.name}")
        if errors:
            raise errors[0]

    # ----- 3. status

    def _update_status(self, ds: DaemonSet, placements: dict[str, Placement], pods_by_node: dict[str, list[PodView]],
                       template_hash: str, *, observed: bool) -> None:
        counts = daemon_set_counts(placements, pods_by_node, template_hash,
                                   min_ready_seconds=ds.spec.min_ready_seconds or 0, now=_utcnow())
        min_ready = ds.spec.min_ready_seconds or 0
        if min_ready and counts.number_ready != counts.number_available:
            self.queue.add_after(_key(ds), min_ready)  # a ready pod becomes available with time alone
        generation = ds.metadata.generation or 0
        for attempt in range(STATUS_UPDATE_RETRIES):
            status = ds.status or DaemonSetStatus()
            wanted = status.model_copy(update=counts.model_dump(exclude_unset=True, by_alias=False))
            if observed:
                wanted.observed_generation = generation
            if wanted.to_wire() == status.to_wire():
                return
            try:
                self.client.update(DAEMONSET, ds.model_copy(update={"status": wanted}).to_wire(), subresource="status")
                return
            except ApiStatusError as error:
                if error.code == 404:
                    return
                if error.code != 409 or attempt == STATUS_UPDATE_RETRIES - 1:
                    raise
                ds = DaemonSet.model_validate(self.client.get(DAEMONSET, ds.metadata.name, ds.metadata.namespace))

    # ----- the informers

    def _daemon_pods_by_node(self, ds: DaemonSet) -> dict[str, list[PodView]]:
        """The pods this DaemonSet controls (by controllerRef uid), by the node each is for."""
        uid, namespace = ds.metadata.uid, ds.metadata.namespace
        by_node: dict[str, list[PodView]] = {}
        for pod in map(PodView, self.pods.items()):  # all of them: read through a view, not parsed (see cache_view)
            if pod.controller_uid != uid or pod.namespace != namespace:
                continue
            node_name = target_node_name(pod)
            if node_name:
                by_node.setdefault(node_name, []).append(pod)
        return by_node

    def _enqueue(self, ds: dict[str, Any]) -> None:
        self.queue.add(object_key(ds))

    def _enqueue_all(self, _node: dict[str, Any] | None = None) -> None:
        for ds in self.daemonsets.items():
            self._enqueue(ds)

    def _on_node_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        # a heartbeat changes nothing for a DaemonSet; labels and taints decide placement
        if ObjectView(old).labels != ObjectView(new).labels or old.get("spec") != new.get("spec"):
            self._enqueue_all()

    def _on_revision_change(self, revision: dict[str, Any]) -> None:
        ref = ObjectView(revision).controller_ref()
        namespace = ObjectView(revision).namespace
        if ref is not None:
            if ref.kind == DAEMONSET.kind:
                self.queue.add(f"{namespace}/{ref.name}")
            return
        # An orphan may be adopted by any DaemonSet of its namespace whose selector matches: let each look.
        for ds in self.daemonsets.items():
            if ObjectView(ds).namespace == namespace:
                self._enqueue(ds)

    def _on_daemonset_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        # its status is this controller's own write: what queued it before stays the cause
        self.queue.add(object_key(new), nudge=only_status_changed(old, new))

    def _on_daemonset_delete(self, ds: dict[str, Any]) -> None:
        self.expectations.forget(object_key(ds))

    def _on_pod_add(self, pod: dict[str, Any]) -> None:
        if key := _owner_key(pod):
            if PodView(pod).is_terminating:
                self.expectations.observe_deletion(key)
            else:
                self.expectations.observe_creation(key)
            self.queue.add(key)

    def _on_pod_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if key := _owner_key(new):
            if PodView(new).is_terminating and not PodView(old).is_terminating:
                self.expectations.observe_deletion(key)  # a graceful delete is seen when it starts
            self.queue.add(key)

    def _on_pod_delete(self, pod: dict[str, Any]) -> None:
        if key := _owner_key(pod):
            if not PodView(pod).is_terminating:  # a graceful one was counted when it began
                self.expectations.observe_deletion(key)
            self.queue.add(key)


class Expectations:
    """Pod creates and deletes a DaemonSet sent but its informer has not shown yet (client-go's ControllerExpectations).

    While any are outstanding the DaemonSet is not managed: its informer view is
    behind, and acting on it would, say, create a second pod for a node whose
    first one has not arrived yet. Outstanding writes expire after a TTL, so a
    lost event cannot stall a DaemonSet forever.
    """

    def __init__(self, *, ttl: float, clock: Callable[[], float]):
        self.ttl, self.clock = ttl, clock
        self._lock = threading.Lock()
        self._pending: dict[str, list[float]] = {}  # key -> [creates, deletes, set at]

    def expect(self, key: str, *, creates: int, deletes: int) -> None:
        with self._lock:
            self._pending[key] = [creates, deletes, self.clock()]

    def observe_creation(self, key: str) -> None:
        self._observe(key, 0)

    def observe_deletion(self, key: str) -> None:
        self._observe(key, 1)

    def satisfied(self, key: str) -> bool:
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                return True
            creates, deletes, since = pending
            return (creates <= 0 and deletes <= 0) or self.clock() - since > self.ttl

    def forget(self, key: str) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _observe(self, key: str, index: int) -> None:
        with self._lock:
            if key in self._pending:
                self._pending[key][index] -= 1


# ----- pure functions: what the controller decides, apart from how it acts


def daemon_pod_info(ds: DaemonSet) -> PodInfo:
    """The scheduler's view of the pod the DaemonSet would create, before it is pinned to a node."""
    template_spec = ds.spec.template.spec if ds.spec.template else None
    spec = with_daemon_tolerations(template_spec.model_copy(deep=True) if template_spec else PodSpec())
    meta = ObjectMeta(name=ds.metadata.name, namespace=ds.metadata.namespace or "")
    return PodInfo.from_model(Pod(metadata=meta, spec=spec))


def placement(template: PodInfo, ds: DaemonSet, node: NodeInfo) -> Placement:
    """Whether the daemon belongs on `node` (Kubernetes' NodeShouldRunDaemonPod)."""
    template_spec = ds.spec.template.spec if ds.spec.template else None
    wanted_node = template_spec.node_name if template_spec else None
    if wanted_node and wanted_node != node.name:
        return Placement(False, False, f"spec.nodeName is {wanted_node}")
    if not node_affinity.matches(template, node):
        return Placement(False, False, node_affinity.unmatched(template, node) or "node affinity does not match")
    tolerations = pod_tolerations(template)
    untolerated = [t for t in node.taints if t.effect in (NO_SCHEDULE, NO_EXECUTE) and not tolerates(tolerations, t)]
    if not untolerated:
        return Placement(True, True)
    # A NoExecute taint is the one that decides whether a running pod may stay, so it is the one named.
    deciding = next((t for t in untolerated if t.effect == NO_EXECUTE), untolerated[0])
    return Placement(False, deciding.effect != NO_EXECUTE, f"taint {_spelled(deciding)} is not tolerated")


def with_daemon_tolerations(spec: PodSpec) -> PodSpec:
    """Add (or replace the same-keyed) tolerations every daemon pod carries."""
    tolerations = list(spec.tolerations or [])
    extra = [*DAEMON_TOLERATIONS, *([HOST_NETWORK_TOLERATION] if spec.host_network else [])]
    for wanted in extra:
        same = next((i for i, t in enumerate(tolerations) if _same_toleration(t, wanted)), None)
        if same is None:
            tolerations.append(wanted.model_copy())
        else:
            tolerations[same] = wanted.model_copy()
    spec.tolerations = tolerations
    return spec


def daemon_pod(ds: DaemonSet, node_name: str, template_hash: str) -> Pod:
    """The pod for one node: the template, the daemon tolerations, the hash label, and node affinity for that node."""
    template_meta = (ds.spec.template.metadata if ds.spec.template else None) or ObjectMeta()
    template_spec = ds.spec.template.spec if ds.spec.template else None
    spec = with_daemon_tolerations(template_spec.model_copy(deep=True) if template_spec else PodSpec())
    spec.affinity = _pinned_to(spec.affinity, node_name)
    meta = ObjectMeta(generate_name=f"{ds.metadata.name}-", namespace=ds.metadata.namespace,
                      labels={**(template_meta.labels or {}), CONTROLLER_REVISION_HASH: template_hash},
                      annotations=dict(template_meta.annotations) if template_meta.annotations else None,
                      owner_references=[controller_ref(ds.metadata, DAEMONSET)])
    return Pod(metadata=meta, spec=spec)


def target_node_name(pod: PodView) -> str:
    """The node a daemon pod is bound to, or (still unscheduled) the one its matchFields pin it to."""
    if pod.node_name:
        return pod.node_name
    # Only a pod the scheduler has not bound yet gets here: few at a time, so parsing its spec is cheap.
    spec = PodSpec.model_validate(pod.raw.get("spec") or {})
    node_aff = spec.affinity.node_affinity if spec.affinity else None
    required = node_aff.required_during_scheduling_ignored_during_execution if node_aff else None
    for term in (required.node_selector_terms if required else None) or []:
        for field in term.match_fields or []:
            values = field.values or []
            if field.key == "metadata.name" and field.operator == "In" and len(values) == 1:
                return values[0]
    return ""


def pods_to_replace(pods_by_node: dict[str, list[PodView]], template_hash: str, *, max_unavailable: int,
                    min_ready_seconds: int, now: datetime) -> list[PodView]:
    """Old pods to delete now so that at most `max_unavailable` nodes lack an available daemon pod.

    `pods_by_node` holds every node that should run the daemon (with no pods if it has none).
    An old pod that is not available anyway may always go; an available one only while there is room.
    """
    unavailable, doomed, candidates = 0, [], []
    for node_name in sorted(pods_by_node):
        live = [p for p in pods_by_node[node_name] if not p.is_terminating]
        new = [p for p in live if p.labels.get(CONTROLLER_REVISION_HASH) == template_hash]
        old = [p for p in live if p.labels.get(CONTROLLER_REVISION_HASH) != template_hash]
        if len(new) > 1 or len(old) > 1 or len(new) == len(old):
            unavailable += 1  # being created, being replaced, or untidy: manage sorts it out first
        elif new:
            unavailable += 0 if new[0].is_available(min_ready_seconds, now) else 1
        elif not old[0].is_available(min_ready_seconds, now):
            doomed.append(old[0])
        else:
            candidates.append(old[0])
    room = max(0, min(max_unavailable - unavailable, len(candidates)))
    return doomed + candidates[:room]


def daemon_set_counts(placements: dict[str, Placement], pods_by_node: dict[str, list[PodView]], template_hash: str,
                      *, min_ready_seconds: int, now: datetime) -> DaemonSetStatus:
    """The counts of a DaemonSet's status, node by node (the rest of its status is left unset)."""
    desired = current = misscheduled = ready = available = updated = 0
    for name, where in placements.items():
        pods = sorted(pods_by_node.get(name, []), key=_oldest_first)
        if not where.should_run:
            misscheduled += 1 if pods else 0
            continue
        desired += 1
        if not pods:
            continue
        current += 1
        oldest = pods[0]
        if oldest.is_ready:
            ready += 1
            available += 1 if oldest.is_available(min_ready_seconds, now) else 0
        updated += 1 if oldest.labels.get(CONTROLLER_REVISION_HASH) == template_hash else 0
    return DaemonSetStatus(desired_number_scheduled=desired, current_number_scheduled=current,
                           number_misscheduled=misscheduled, number_ready=ready, number_available=available,
                           number_unavailable=desired - available, updated_number_scheduled=updated)


def scaled_count(value: IntOrString | None, total: int) -> int:
    """An IntOrString such as maxUnavailable: a count, or a percentage of `total` rounded up."""
    if value is None:
        return 0
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def _pinned_to(affinity: Affinity | None, node_name: str) -> Affinity:
    """Replace the required node affinity with one term naming the node (Kubernetes'
    ReplaceDaemonSetPodNodeNameNodeAffinity): placement() already checked the rest."""
    affinity = affinity or Affinity()
    node_aff = affinity.node_affinity or NodeAffinity()
    node_aff.required_during_scheduling_ignored_during_execution = NodeSelector(node_selector_terms=[
        NodeSelectorTerm(match_fields=[NodeSelectorRequirement(key="metadata.name", operator="In",
                                                               values=[node_name])])])
    affinity.node_affinity = node_aff
    return affinity


def _spelled(taint: Taint) -> str:
    """As kubectl spells a taint: key=value:Effect, or key:Effect without a value."""
    return f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"


def _same_toleration(a: Toleration, b: Toleration) -> bool:
    return ((a.key or "", a.operator or "", a.value or "", a.effect or "")
            == (b.key or "", b.operator or "", b.value or "", b.effect or ""))


def _strategy(ds: DaemonSet) -> str:
    strategy = ds.spec.update_strategy
    return (strategy.type if strategy else None) or DaemonSetUpdateStrategyType.ROLLING_UPDATE


def _key(ds: DaemonSet) -> str:
    return f"{ds.metadata.namespace or ''}/{ds.metadata.name}"


def _oldest_first(pod: PodView) -> tuple[bool, str, str]:
    """Scheduled pods first, then by creation time, then by name (Kubernetes' podByCreationTimestampAndPhase)."""
    return not pod.node_name, pod.creation_timestamp, pod.name


def _owner_key(pod: dict[str, Any]) -> str | None:
    view = PodView(pod)
    ref = view.controller_ref()
    if ref is None or ref.kind != DAEMONSET.kind:
        return None
    return f"{view.namespace}/{ref.name}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
