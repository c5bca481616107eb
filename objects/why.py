"""Why: the answer of the `why` subresource, and the reports the deciding components publish into it.

    GET  /api/v1/namespaces/{ns}/pods/{name}/why                  -> Why
    GET  /api/v1/nodes/{name}/why                                 -> Why
    GET  /apis/apps/v1/namespaces/{ns}/{deployments|replicasets|daemonsets}/{name}/why -> Why
    GET  /api/v1/namespaces/{ns}/services/{name}/why              -> Why
    PUT  the same path, body a report kind below                   -> the stored report (components only)

`Why` is a tinykube.io kind, never part of a Kubernetes object: kubectl and the
Python client see pods, nodes and workloads exactly as Kubernetes shows them,
and read this answer with `kubectl get --raw .../why` (or `tkctl why`).

Every part of the answer comes from the component that decided, as it decided:

    section      published by                  how
    scheduling   the scheduler                 its SchedulingExplanation (objects.explanation), written after
                                               every attempt, with the attempt history and checked suggestions
    kubelet      the kubelet of the pod's node  asked live by the API server (GET /why/{ns}/{pod} on the kubelet)
    nodeHealth   the node lifecycle controller  a NodeHealthReport PUT on the node's why when its verdict changes
    rollout      the deployment controller      a RolloutReport PUT when its arithmetic changes
    replicaSet   the replicaset controller      a ReplicaSetReport PUT when it is short or failing
    daemonSet    the daemonset controller       a DaemonSetReport PUT when its node set changes
    service      the endpointslice controller   a ServiceReport PUT when its pods' standing changes; the API
                                               server adds where the Endpoints object has each pod, and asks
                                               the kubelets of (a few) not-Ready pods what their probes say

**Countdowns.** A timer is published as the moment its owner will act (`at`,
RFC 3339 with milliseconds, in real time, so already scaled by `--time-scale`)
and the owner's name; nobody else derives it from assumed constants. The API
server fills `secondsLeft` (at - now, never below 0) when it answers, and lists
every countdown of every section in `Why.countdowns`, soonest first.

**Suggestions** (Pending pods only) are concrete patches on named objects that
the scheduler has checked by running its own filters on the patched copies: a
suggestion is only listed if the pod would then fit the nodes it names.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import Field

from objects.base import K8sModel
from objects.explanation import Attempt, ObjectRef, SchedulingExplanation, Suggestion  # noqa: F401 (part of this shape)
from objects.meta import ObjectMeta

API_VERSION = "tinykube.io/v1alpha1"
WHY_KINDS = ("pods", "nodes", "deployments", "replicasets", "daemonsets", "services")  # plurals that serve `why`


class Countdown(K8sModel):
    name: str  # what happens when it runs out, CamelCase: NextRestart, NextPull, Eviction, SigKill, ...
    message: str  # one line: "container web restarts", "pod default/web-1 is evicted"
    at: str  # RFC 3339 with milliseconds: when the owner's timer fires
    owner: str  # the component whose timer it is: "kubelet/node-1", "node-lifecycle-controller"
    seconds_left: float | None = None  # filled in by the API server when it answers


class PluginComparison(K8sModel):
    name: str
    weight: int
    node_score: int  # 0..100, before the weight
    runner_up_score: int | None = None


class PlacementComparison(K8sModel):
    """Why the chosen node: its scores against the runner-up's, plugin by plugin (from the explanation)."""

    node: str
    total: int
    runner_up: str | None = None  # None when only one node fitted
    runner_up_total: int | None = None
    plugins: list[PluginComparison] = Field(default_factory=list)


# ----- the kubelet's part, served live by the kubelet that runs the pod


class ProbeReport(K8sModel):
    type: str  # readiness | liveness | startup
    handler: str  # "exec cat /tmp/ready", "http-get :8080/healthz", "tcp-socket :5432"
    passing: bool
    consecutive_failures: int = 0
    failure_threshold: int = 3
    consecutive_successes: int = 0
    success_threshold: int = 1
    last_output: str = ""  # the last failure's output or error, trimmed
    last_probe_time: str | None = None
    period_seconds: float | None = None  # real seconds, after --time-scale


class ContainerReport(K8sModel):
    name: str
    init: bool = False
    image: str = ""
    state: str = ""  # Waiting | Running | Terminated
    reason: str = ""  # ContainerCreating, CrashLoopBackOff, ErrImagePull, ImagePullBackOff, Completed, ...
    message: str = ""
    step: str | None = None  # while ContainerCreating: Sandbox | Volumes | ImagePull | Start
    ready: bool | None = None
    restart_count: int = 0
    last_exit_code: int | None = None
    last_reason: str | None = None  # the previous instance's terminated reason: Error, OOMKilled, Completed
    last_finished_at: str | None = None
    last_log_lines: list[str] = Field(default_factory=list)  # the tail of the previous instance's log
    pull_error: str | None = None
    pull_attempts: int | None = None
    backoff_sequence_seconds: list[float] = Field(default_factory=list)  # as configured, real seconds
    probes: list[ProbeReport] = Field(default_factory=list)
    countdowns: list[Countdown] = Field(default_factory=list)  # NextRestart, NextPull


class TerminationReport(K8sModel):
    stage: str  # PreStop | SigTerm | SigKill | Stopped
    grace_period_seconds: float  # real seconds
    started_at: str  # when the kubelet began stopping the pod
    countdowns: list[Countdown] = Field(default_factory=list)  # SigKill (and PreStop's deadline)


class KubeletPodReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "KubeletPodReport"
    node: str
    containers: list[ContainerReport] = Field(default_factory=list)  # init containers first, init=True
    termination: TerminationReport | None = None


# ----- the controllers' reports, PUT on the object's why


class TaintReport(K8sModel):
    key: str
    effect: str
    time_added: str | None = None


class PodEviction(K8sModel):
    namespace: str
    name: str
    toleration_seconds: float | None = None  # real seconds; None: tolerates forever
    replaced_by: str = ""  # "ReplicaSet default/web-5d8f creates a replacement", or "nothing: no controller"
    countdowns: list[Countdown] = Field(default_factory=list)  # Eviction


class NodeHealthReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "NodeHealthReport"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    ready: str  # the Ready condition's status as the controller sees it: True | False | Unknown
    message: str
    last_heartbeat: str | None = None  # the Lease renewTime the controller last saw
    grace_period_seconds: float  # real seconds without a heartbeat before the node turns Unknown
    not_ready_since: str | None = None
    taints: list[TaintReport] = Field(default_factory=list)
    pods: list[PodEviction] = Field(default_factory=list)
    countdowns: list[Countdown] = Field(default_factory=list)  # NodeUnknown while Ready


class RolloutReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "RolloutReport"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    strategy: str  # RollingUpdate | Recreate
    replicas: int
    max_surge: int  # resolved from the percentage, in pods
    max_unavailable: int
    max_total: int  # replicas + maxSurge: pods allowed at once
    min_available: int  # replicas - maxUnavailable: available pods required at all times
    new_replicas: int
    new_available: int
    old_replicas: int
    old_available: int
    may_create: int  # new pods the arithmetic allows now
    may_remove: int  # old pods the arithmetic allows to go now
    waiting_for: list[str] = Field(default_factory=list)  # "pod default/web-7c9-x to be Ready", ...
    message: str  # the arithmetic in a sentence
    complete: bool = False
    countdowns: list[Countdown] = Field(default_factory=list)  # ProgressDeadline, MinReadySeconds


class ReplicaSetReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "ReplicaSetReport"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    replicas: int
    current: int  # active pods it owns
    ready: int
    pending_creations: int = 0  # expectations: creates sent, not yet seen by the watch
    pending_deletions: int = 0
    failed_creates: list[str] = Field(default_factory=list)  # the latest FailedCreate messages, newest last
    message: str


class DaemonNodeReport(K8sModel):
    node: str
    runs: bool
    reason: str  # "runs pod default/agent-x", or the rule that excludes it: "taint dedicated=gpu:NoSchedule"


class DaemonSetReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "DaemonSetReport"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    nodes: list[DaemonNodeReport] = Field(default_factory=list)
    message: str


class ServicePodReport(K8sModel):
    """One pod the Service's selector picks, and what the endpoint controllers made of it."""

    name: str
    ip: str | None = None
    node: str | None = None
    ready: bool  # its endpoint's ready condition: traffic goes to it
    reason: str  # Ready | NotReady | Terminating | NoIP | Succeeded | Failed | NodeNotFound
    message: str  # one line: why it stands there ("Ready is False (ContainersNotReady): container app ...")
    missing_ports: list[str] = Field(default_factory=list)  # named targetPorts the pod does not declare
    endpoint_slices: list[str] = Field(default_factory=list)  # the EndpointSlices that carry it
    # Filled in by the API server when it answers:
    endpoints: str | None = None  # where the Endpoints object has it: addresses | notReadyAddresses (None: absent)
    kubelet: str | None = None  # for a not-Ready pod: its kubelet's word on it (a failing readiness probe)


class ServiceReport(K8sModel):
    api_version: str = API_VERSION
    kind: str = "ServiceReport"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    selector: dict[str, str] = Field(default_factory=dict)
    ports: list[str] = Field(default_factory=list)  # "http 80/TCP -> http", as the Service maps them
    selected: int  # pods the selector picks
    ready: int  # of those, endpoints with ready=true
    pods: list[ServicePodReport] = Field(default_factory=list)  # the ones not ready first, at most MAX_REPORTED
    unlisted: int = 0  # selected pods left out of `pods` to keep the report small
    endpoint_slices: list[str] = Field(default_factory=list)  # every slice the controller keeps for it
    message: str


REPORT_KINDS = ("NodeHealthReport", "RolloutReport", "ReplicaSetReport", "DaemonSetReport", "ServiceReport")


# ----- the answer


class Why(K8sModel):
    api_version: str = API_VERSION
    kind: str = "Why"
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)  # the subject's name, namespace and uid
    subject: ObjectRef
    state: str  # one word: Pending, ContainerCreating, CrashLoopBackOff, NotReady, Running, Progressing, ...
    summary: str  # one line: what `tkctl why pods` prints
    generated_at: str  # RFC 3339 with milliseconds
    countdowns: list[Countdown] = Field(default_factory=list)  # every section's, soonest first
    scheduling: SchedulingExplanation | None = None  # pods: the scheduler's last attempt, attempts, suggestions
    placement: PlacementComparison | None = None  # pods the scheduler placed
    kubelet: KubeletPodReport | None = None  # pods on a node
    kubelet_error: str | None = None  # when the pod's kubelet did not answer
    node_health: NodeHealthReport | None = None
    rollout: RolloutReport | None = None
    replica_set: ReplicaSetReport | None = None
    daemon_set: DaemonSetReport | None = None
    service: ServiceReport | None = None


def moment(epoch_seconds: float) -> str:
    """A countdown's `at`: RFC 3339, UTC, with milliseconds, from wall-clock seconds (time.time())."""
    stamp = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def epoch_of(at: str) -> float:
    """The wall-clock seconds of a countdown's `at` (or any RFC 3339 time the API writes)."""
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
