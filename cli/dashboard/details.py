"""What a panel shows: a pod's, a node's or a Deployment's details, each section read on its own.

    pod         the pod's view, its `why`, its events, the last lines of its log, its trace
    node        the node's view, conditions, its Lease (age, duration), its `why`
    deployment  the Deployment's view, its `why` (the rollout), its ReplicaSets

Only the object itself is needed: if reading it fails, the whole answer fails
(502, upstream.py), and if it is gone the answer says so (`gone`). Each other
section fails alone, its error one line in `...Error`, so the panel still shows
the rest (a Pending pod has no log to show, and that is said, not hidden). A
namespace or name no object can have is refused (400) before anything is asked.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from pydantic import Field

from apiclient import ApiClient, ApiClientError, ApiStatusError
from cli.dashboard.live_state import LiveState
from cli.dashboard.upstream import UpstreamFailure, section_error
from cli.dashboard.views import DeploymentView, NodeView, PodView, deployment_view, node_view, pod_view
from cli.rollout_state import REVISION
from objects.apps import ReplicaSet
from objects.base import K8sModel
from objects.cluster import Event, Lease
from objects.kinds import DEPLOYMENT, EVENT, LEASE, NODE, POD, REPLICASET, ResourceType
from objects.meta import parse_time
from objects.node import Node
from objects.selectors import is_dns1123_subdomain, max_len_error, regex_error

LOG_LINES = 20
NODE_LEASE_NAMESPACE = "kube-node-lease"
TRACE_WINDOW_SECONDS = 3600  # as `tkctl trace`: the last hour of writes
NOT_SCHEDULED_LOG = "no log yet: the pod is not scheduled to a node"

# A namespace is one DNS label, as the API server validates it (objects/selectors.py has the subdomain).
DNS1123_LABEL_FORMAT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(DNS1123_LABEL_FORMAT)
DNS1123_LABEL_MAX = 63
DNS1123_LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                         "and must start and end with an alphanumeric character")


class InvalidName(ValueError):
    """A panel was asked about a namespace or name no object can have; the server answers 400 `{message}`."""


class EventLine(K8sModel):
    type: str | None = None
    reason: str | None = None
    message: str | None = None
    count: int = 1
    last_timestamp: str | None = None
    source: str | None = None


class PodDetails(K8sModel):
    pod: PodView | None = None
    why: dict[str, Any] | None = None
    why_error: str | None = None
    events: list[EventLine] = Field(default_factory=list)
    events_error: str | None = None
    log: list[str] = Field(default_factory=list)
    log_error: str | None = None
    trace: dict[str, Any] | None = None
    trace_error: str | None = None
    gone: bool = False
    message: str | None = None


class NodeCondition(K8sModel):
    type: str | None = None
    status: str | None = None
    reason: str | None = None
    message: str | None = None
    last_heartbeat_time: str | None = None
    last_transition_time: str | None = None


class LeaseInfo(K8sModel):
    holder: str | None = None
    renew_time: str | None = None
    age_seconds: float | None = None  # since the last renewal, at the time of the answer
    duration_seconds: int | None = None


class NodeDetails(K8sModel):
    node: NodeView | None = None
    conditions: list[NodeCondition] = Field(default_factory=list)
    lease: LeaseInfo | None = None
    lease_error: str | None = None
    why: dict[str, Any] | None = None
    why_error: str | None = None
    gone: bool = False
    message: str | None = None


class ReplicaSetLine(K8sModel):
    name: str
    revision: str | None = None
    replicas: int = 0
    ready_replicas: int = 0


class DeploymentDetails(K8sModel):
    deployment: DeploymentView | None = None
    why: dict[str, Any] | None = None
    why_error: str | None = None
    replica_sets: list[ReplicaSetLine] = Field(default_factory=list)
    replica_sets_error: str | None = None
    gone: bool = False
    message: str | None = None


class _Reader:
    """One panel's requests: the subject must be read; the sections may fail, each on its own."""

    def __init__(self, client: ApiClient):
        self.client = client
        self.server = client.connection.server

    def subject(self, path: str) -> dict[str, Any] | None:
        """The object, or None when it is gone; any other failure fails the whole answer."""
        try:
            return self.client.get_path(path)
        except ApiClientError as error:
            if isinstance(error, ApiStatusError) and error.not_found:
                return None
            raise UpstreamFailure.of(error, self.server) from error

    def section(self, read, *args: Any) -> tuple[Any, str | None]:
        try:
            return read(*args), None
        except ApiClientError as error:
            return None, section_error(error, self.server)


def pod_details(client: ApiClient, live: LiveState, namespace: str, name: str) -> PodDetails:
    reader = _Reader(client)
    path = _object_path(POD, namespace, name)
    wire = reader.subject(path)
    if wire is None:
        return PodDetails(gone=True, message=f"pod {namespace}/{name} was deleted")
    why, why_error = reader.section(client.get_path, f"{path}/why")
    events, events_error = reader.section(_events, client, namespace, "Pod", name)
    if (wire.get("spec") or {}).get("nodeName"):
        log, log_error = reader.section(_log_tail, client, path, wire)
    else:  # the API answers an empty log (as upstream does); the panel says why there is none
        log, log_error = [], NOT_SCHEDULED_LOG
    trace, trace_error = reader.section(_trace, client, path)
    return PodDetails(pod=pod_view(wire, live.replica_set_owner), why=why, why_error=why_error,
                      events=events or [], events_error=events_error, log=log or [], log_error=log_error,
                      trace=trace, trace_error=trace_error)


def node_details(client: ApiClient, live: LiveState, name: str) -> NodeDetails:
    reader = _Reader(client)
    path = _object_path(NODE, None, name)
    wire = reader.subject(path)
    if wire is None:
        return NodeDetails(gone=True, message=f"node {name} was deleted")
    node = Node.model_validate(wire)
    conditions = [NodeCondition(type=c.type, status=c.status, reason=c.reason, message=c.message,
                                last_heartbeat_time=c.last_heartbeat_time,
                                last_transition_time=c.last_transition_time)
                  for c in (node.status.conditions if node.status else None) or []]
    lease, lease_error = reader.section(_lease, client, name)
    why, why_error = reader.section(client.get_path, f"{path}/why")
    return NodeDetails(node=node_view(wire), conditions=conditions, lease=lease, lease_error=lease_error,
                       why=why, why_error=why_error)


def deployment_details(client: ApiClient, namespace: str, name: str) -> DeploymentDetails:
    reader = _Reader(client)
    path = _object_path(DEPLOYMENT, namespace, name)
    wire = reader.subject(path)
    if wire is None:
        return DeploymentDetails(gone=True, message=f"deployment {namespace}/{name} was deleted")
    why, why_error = reader.section(client.get_path, f"{path}/why")
    replica_sets, replica_sets_error = reader.section(_replica_sets, client, namespace, wire)
    return DeploymentDetails(deployment=deployment_view(wire), why=why, why_error=why_error,
                             replica_sets=replica_sets or [], replica_sets_error=replica_sets_error)


def _object_path(kind: ResourceType, namespace: str | None, name: str) -> str:
    """The object's API path. Its parts are checked as the API server checks names, so that `?x=` or `..`
    cannot turn the read into another request, and quoted all the same."""
    if namespace is not None:
        _check("namespace", namespace, _dns1123_label_errors(namespace))
    _check(f"{kind.singular} name", name, is_dns1123_subdomain(name))
    quoted_namespace = quote(namespace, safe="") if namespace is not None else None
    return f"{kind.collection_path(quoted_namespace)}/{quote(name, safe='')}"


def _check(what: str, value: str, errors: list[str]) -> None:
    if errors:
        raise InvalidName(f'{what} "{value}" is not valid: {"; ".join(errors)}')


def _dns1123_label_errors(value: str) -> list[str]:
    errors = [max_len_error(DNS1123_LABEL_MAX)] if len(value) > DNS1123_LABEL_MAX else []
    if not DNS1123_LABEL.fullmatch(value):
        errors.append(regex_error(DNS1123_LABEL_MESSAGE, DNS1123_LABEL_FORMAT, "my-name", "123-abc"))
    return errors


# ----- the sections


def _events(client: ApiClient, namespace: str, kind: str, name: str) -> list[EventLine]:
    listed = client.list(EVENT, namespace, field_selector=f"involvedObject.kind={kind},involvedObject.name={name}")
    lines = []
    for item in listed.get("items") or []:
        event = Event.model_validate(item)
        source = event.source.component if event.source else None
        if event.source and event.source.host:
            source = f"{source}, {event.source.host}" if source else event.source.host
        lines.append(EventLine(
            type=event.type, reason=event.reason, message=event.message,
            count=(event.series.count if event.series else None) or event.count or 1,
            last_timestamp=event.last_timestamp or event.event_time or event.first_timestamp
            or event.metadata.creation_timestamp,
            source=source or event.reporting_component))
    return sorted(lines, key=lambda line: line.last_timestamp or "")


def _log_tail(client: ApiClient, pod_path: str, wire: dict[str, Any]) -> list[str]:
    params = {"tailLines": str(LOG_LINES)}
    containers = (wire.get("spec") or {}).get("containers") or []
    if len(containers) > 1:  # the API asks which one; the panel shows the first, as kubectl's default
        params["container"] = containers[0].get("name", "")
    with client.stream(f"{pod_path}/log", params=params) as chunks:
        text = b"".join(chunks).decode(errors="replace")
    return text.splitlines()[-LOG_LINES:]


def _trace(client: ApiClient, path: str) -> dict[str, Any]:
    since = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() - TRACE_WINDOW_SECONDS, timezone.utc)
    return client.get_path(f"{path}/trace", params={"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")})


def _lease(client: ApiClient, node_name: str) -> LeaseInfo:
    lease = Lease.model_validate(client.get(LEASE, node_name, NODE_LEASE_NAMESPACE))
    spec = lease.spec
    renewed = parse_time(spec.renew_time) if spec else None
    age = (datetime.now(timezone.utc) - renewed).total_seconds() if renewed else None
    return LeaseInfo(holder=spec.holder_identity if spec else None, renew_time=spec.renew_time if spec else None,
                     age_seconds=round(age, 3) if age is not None else None,
                     duration_seconds=spec.lease_duration_seconds if spec else None)


def _replica_sets(client: ApiClient, namespace: str, deployment: dict[str, Any]) -> list[ReplicaSetLine]:
    uid = (deployment.get("metadata") or {}).get("uid")
    lines = []
    for item in client.list(REPLICASET, namespace).get("items") or []:
        replica_set = ReplicaSet.model_validate(item)
        if not replica_set.metadata.is_controlled_by(uid):
            continue
        status = replica_set.status
        lines.append(ReplicaSetLine(
            name=replica_set.metadata.name or "",
            revision=(replica_set.metadata.annotations or {}).get(REVISION),
            replicas=(status.replicas if status else None) or 0,
            ready_replicas=(status.ready_replicas if status else None) or 0))
    return sorted(lines, key=lambda line: int(line.revision) if (line.revision or "").isdigit() else 0)
