"""Server-side Tables carry the columns and cells kube-apiserver 1.32 sends, so kubectl prints the same."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from master.api.tables import human_duration, table
from objects import kinds

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
SECOND, MINUTE, HOUR, DAY, YEAR = 1.0, 60.0, 3600.0, 86400.0, 365 * 86400.0
MS = 0.001


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- human_duration: Kubernetes' own test tables (apimachinery util/duration) ---------------

@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (SECOND, "1s"),
        (70 * SECOND, "70s"),
        (190 * SECOND, "3m10s"),
        (70 * MINUTE, "70m"),
        (47 * HOUR, "47h"),
        (49 * HOUR, "2d1h"),
        ((8 * 24 + 2) * HOUR, "8d"),
        (367 * 24 * HOUR, "367d"),
        ((365 * 2 * 24 + 25) * HOUR, "2y1d"),
        ((365 * 8 * 24 + 2) * HOUR, "8y"),
        # TestHumanDurationBoundaries
        (-2 * SECOND, "<invalid>"),
        (-2 * SECOND + 1e-9, "0s"),
        (0, "0s"),
        (SECOND - MS, "0s"),
        (2 * MINUTE - MS, "119s"),
        (2 * MINUTE, "2m"),
        (2 * MINUTE + SECOND, "2m1s"),
        (10 * MINUTE - MS, "9m59s"),
        (10 * MINUTE, "10m"),
        (10 * MINUTE + SECOND, "10m"),
        (3 * HOUR - MS, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + MINUTE, "3h1m"),
        (8 * HOUR - MS, "7h59m"),
        (8 * HOUR, "8h"),
        (8 * HOUR + 59 * MINUTE, "8h"),
        (2 * DAY - MS, "47h"),
        (2 * DAY, "2d"),
        (2 * DAY + HOUR, "2d1h"),
        (8 * DAY - MS, "7d23h"),
        (8 * DAY, "8d"),
        (8 * DAY + 23 * HOUR, "8d"),
        (2 * YEAR - MS, "729d"),
        (2 * YEAR, "2y"),
        (2 * YEAR + 23 * HOUR, "2y"),
        (2 * YEAR + 23 * HOUR + 59 * MINUTE, "2y"),
        (2 * YEAR + 24 * HOUR - MS, "2y"),
        (2 * YEAR + 24 * HOUR, "2y1d"),
        (3 * YEAR, "3y"),
        (4 * YEAR, "4y"),
        (5 * YEAR, "5y"),
        (6 * YEAR, "6y"),
        (7 * YEAR, "7y"),
        (8 * YEAR - MS, "7y364d"),
        (8 * YEAR, "8y"),
        (8 * YEAR + 364 * DAY, "8y"),
        (9 * YEAR, "9y"),
    ],
)
def test_human_duration_matches_kubernetes(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


# --- Pod ---------------------------------------------------------------------------------------

def pod(
    *,
    phase: str = "Running",
    containers: int = 1,
    statuses: list[dict] | None = None,
    init_containers: list[dict] | None = None,
    init_statuses: list[dict] | None = None,
    conditions: list[dict] | None = None,
    deleting: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "web-1", "namespace": "default", "creationTimestamp": ago(5 * MINUTE)}
    if deleting:
        metadata["deletionTimestamp"] = ago(0)
    status: dict[str, Any] = {"phase": phase}
    for key, value in (("containerStatuses", statuses), ("initContainerStatuses", init_statuses),
                       ("conditions", conditions), ("reason", reason)):
        if value is not None:
            status[key] = value
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)]}
    if init_containers is not None:
        spec["initContainers"] = init_containers
    return {"metadata": metadata, "spec": spec, "status": status}


RUNNING = {"running": {"startedAt": ago(MINUTE)}}
READY_RUNNING = {"name": "c0", "ready": True, "restartCount": 0, "state": RUNNING}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}


def waiting(reason: str) -> dict:
    return {"waiting": {"reason": reason}}


def terminated(exit_code: int, reason: str = "", signal: int = 0) -> dict:
    state: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        state["reason"] = reason
    if signal:
        state["signal"] = signal
    return {"terminated": state}


def status_of(state: dict, *, ready: bool = False, restarts: int = 0, name: str = "c0", **extra: Any) -> dict:
    return {"name": name, "ready": ready, "restartCount": restarts, "state": state, **extra}


@pytest.mark.parametrize(
    ("description", "obj", "ready", "status", "restarts"),
    [
        ("unscheduled", pod(phase="Pending"), "0/1", "Pending", "0"),
        ("creating", pod(phase="Pending", statuses=[status_of(waiting("ContainerCreating"))]),
         "0/1", "ContainerCreating", "0"),
        ("bad image", pod(phase="Pending", statuses=[status_of(waiting("ErrImagePull"))]), "0/1", "ErrImagePull", "0"),
        ("running", pod(statuses=[READY_RUNNING]), "1/1", "Running", "0"),
        ("running, one of two ready", pod(containers=2, statuses=[READY_RUNNING, status_of(RUNNING, name="c1")]),
         "1/2", "Running", "0"),
        ("crash looping", pod(statuses=[status_of(
            waiting("CrashLoopBackOff"), restarts=3,
            lastState={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(5 * MINUTE)}},
        )]), "0/1", "CrashLoopBackOff", "3 (5m ago)"),
        ("restarted, no termination time known", pod(statuses=[{**READY_RUNNING, "restartCount": 2}]),
         "1/1", "Running", "2"),
        ("completed", pod(phase="Succeeded", statuses=[status_of(DONE)]), "0/1", "Completed", "0"),
        ("failed", pod(phase="Failed", statuses=[status_of(terminated(1, "Error"))]), "0/1", "Error", "0"),
        ("oom killed", pod(phase="Running", statuses=[status_of(terminated(137, "OOMKilled"))]),
         "0/1", "OOMKilled", "0"),
        ("exit code without reason", pod(phase="Failed", statuses=[status_of(terminated(2))]),
         "0/1", "ExitCode:2", "0"),
        ("signal without reason", pod(phase="Failed", statuses=[status_of(terminated(137, signal=9))]),
         "0/1", "Signal:9", "0"),
        ("evicted", pod(phase="Failed", reason="Evicted"), "0/1", "Evicted", "0"),
        ("scheduling gated", pod(phase="Pending", conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
         "0/1", "SchedulingGated", "0"),
        ("second init container running", pod(
            phase="Pending", init_containers=[{"name": "i0"}, {"name": "i1"}],
            init_statuses=[status_of(DONE, name="i0"), status_of(RUNNING, name="i1")],
            statuses=[status_of(waiting("PodInitializing"))],
        ), "0/1", "Init:1/2", "0"),
        ("init container waiting to initialise", pod(
            phase="Pending", init_containers=[{"name": "i0"}],
            init_statuses=[status_of(waiting("PodInitializing"), name="i0")],
        ), "0/1", "Init:0/1", "0"),
        ("init container crash looping", pod(
            phase="Pending", init_containers=[{"name": "i0"}],
            init_statuses=[status_of(waiting("CrashLoopBackOff"), name="i0", restarts=4)],
            statuses=[status_of(waiting("PodInitializing"))],
        ), "0/1", "Init:CrashLoopBackOff", "4"),
        ("init container failed", pod(
            phase="Failed", init_containers=[{"name": "i0"}],
            init_statuses=[status_of(terminated(1, "Error"), name="i0")],
        ), "0/1", "Init:Error", "0"),
        ("init container failed without reason", pod(
            phase="Pending", init_containers=[{"name": "i0"}],
            init_statuses=[status_of(terminated(3), name="i0")],
        ), "0/1", "Init:ExitCode:3", "0"),
        ("init container killed by a signal", pod(
            phase="Pending", init_containers=[{"name": "i0"}],
            init_statuses=[status_of(terminated(143, signal=15), name="i0")],
        ), "0/1", "Init:Signal:15", "0"),
        ("sidecar started and ready", pod(
            init_containers=[{"name": "proxy", "restartPolicy": "Always"}],
            init_statuses=[status_of(RUNNING, name="proxy", ready=True, started=True, restarts=1)],
            statuses=[READY_RUNNING],
            conditions=[{"type": "Initialized", "status": "True"}],
        ), "2/2", "Running", "1"),
        ("one container done, another still running and ready", pod(
            containers=2, statuses=[READY_RUNNING, status_of(DONE, name="c1")],
            conditions=[{"type": "Ready", "status": "True"}],
        ), "1/2", "Running", "0"),
        ("one container done, another running but pod not ready", pod(
            containers=2, statuses=[READY_RUNNING, status_of(DONE, name="c1")],
        ), "1/2", "NotReady", "0"),
        ("being deleted", pod(statuses=[READY_RUNNING], deleting=True), "1/1", "Terminating", "0"),
        ("being deleted after finishing", pod(phase="Succeeded", statuses=[status_of(DONE)], deleting=True),
         "0/1", "Completed", "0"),
        ("node lost", pod(reason="NodeLost", statuses=[READY_RUNNING], deleting=True), "1/1", "Unknown", "0"),
    ],
)
def test_pod_row_reads_like_kubectl_get_pods(
    description: str, obj: dict, ready: str, status: str, restarts: str
) -> None:
    cells = table(kinds.POD, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells[:5] == ["web-1", ready, status, restarts, "5m"], description


def test_pod_wide_cells_say_none_for_what_is_not_there_yet() -> None:
    cells = table(kinds.POD, [pod(phase="Pending")], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells[5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_pod_wide_cells_show_ip_node_nomination_and_readiness_gates() -> None:
    obj = pod(statuses=[READY_RUNNING], conditions=[
        {"type": "example.com/lb", "status": "True"}, {"type": "example.com/dns", "status": "False"}])
    obj["spec"].update(nodeName="node-1", readinessGates=[
        {"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}])
    obj["status"].update(podIP="10.0.0.5", podIPs=[{"ip": "10.0.0.5"}], nominatedNodeName="node-2")
    cells = table(kinds.POD, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells[5:] == ["10.0.0.5", "node-1", "node-2", "1/2"]


def test_finished_pods_carry_a_completed_row_condition() -> None:
    rows = table(kinds.POD, [pod(phase="Succeeded"), pod(phase="Failed"), pod()],
                 list_resource_version="1", now=NOW)["rows"]
    assert rows[0]["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                      "message": "The pod has completed successfully."}]
    assert rows[1]["conditions"][0]["reason"] == "Failed"
    assert "conditions" not in rows[2]


# --- columns of every kind ------------------------------------------------------------------

EXPECTED_COLUMNS = {  # (shown by default, shown only with -o wide)
    "Pod": (["Name", "Ready", "Status", "Restarts", "Age"], ["IP", "Node", "Nominated Node", "Readiness Gates"]),
    "Node": (["Name", "Status", "Roles", "Age", "Version"],
             ["Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"]),
    "Namespace": (["Name", "Status", "Age"], []),
    "Event": (["Last Seen", "Type", "Reason", "Object", "Message"],
              ["Subobject", "Source", "First Seen", "Count", "Name"]),
    "Lease": (["Name", "Holder", "Age"], []),
    "Deployment": (["Name", "Ready", "Up-to-date", "Available", "Age"], ["Containers", "Images", "Selector"]),
    "ReplicaSet": (["Name", "Desired", "Current", "Ready", "Age"], ["Containers", "Images", "Selector"]),
    "DaemonSet": (["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age"],
                  ["Containers", "Images", "Selector"]),
    "ControllerRevision": (["Name", "Controller", "Revision", "Age"], []),
    "Fault": (["Name", "Type", "Node", "Phase", "Expires", "Age"], []),
    "Service": (["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"], ["Selector"]),
    "Endpoints": (["Name", "Endpoints", "Age"], []),
    "EndpointSlice": (["Name", "AddressType", "Ports", "Endpoints", "Age"], []),
}


@pytest.mark.parametrize("kind", kinds.ALL_KINDS, ids=lambda k: k.kind)
def test_columns_match_kube_apiserver_and_wide_ones_have_priority_1(kind: kinds.ResourceType) -> None:
    columns = table(kind, [], list_resource_version="9", now=NOW)["columnDefinitions"]
    normal, wide = EXPECTED_COLUMNS[kind.kind]
    assert [c["name"] for c in columns if c["priority"] == 0] == normal
    assert [c["name"] for c in columns if c["priority"] == 1] == wide
    for column in columns:
        assert set(column) == {"name", "type", "format", "description", "priority"}
        assert column["description"]
        assert column["format"] == ("name" if column["name"] == "Name" else "")


@pytest.mark.parametrize("kind", kinds.ALL_KINDS, ids=lambda k: k.kind)
def test_every_row_has_one_cell_per_column_even_for_a_bare_object(kind: kinds.ResourceType) -> None:
    result = table(kind, [{"metadata": {"name": "x"}}], list_resource_version="9", now=NOW)
    assert len(result["rows"][0]["cells"]) == len(result["columnDefinitions"])


@pytest.mark.parametrize(
    ("kind", "integer_columns"),
    [(kinds.POD, []), (kinds.DEPLOYMENT, []), (kinds.REPLICASET, ["Desired", "Current", "Ready"]),
     (kinds.DAEMONSET, ["Desired", "Current", "Ready", "Up-to-date", "Available"])],
    ids=lambda v: getattr(v, "kind", ""),
)
def test_column_types_match_kube_apiserver(kind: kinds.ResourceType, integer_columns: list[str]) -> None:
    """Pod restarts are a string ("3 (5m ago)"); deployment counts are typed string but sent as integers."""
    columns = table(kind, [], list_resource_version="1", now=NOW)["columnDefinitions"]
    assert [c["name"] for c in columns if c["type"] == "integer"] == integer_columns


# --- the envelope and includeObject ------------------------------------------------------------

def test_a_table_carries_the_list_resource_version_and_partial_metadata_by_default() -> None:
    obj = pod()
    obj["metadata"]["labels"] = {"app": "web"}
    result = table(kinds.POD, [obj], list_resource_version="1007", now=NOW)
    assert result["kind"] == "Table"
    assert result["apiVersion"] == "meta.k8s.io/v1"
    assert result["metadata"] == {"resourceVersion": "1007"}
    assert result["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"],
    }


def test_include_object_none_leaves_rows_without_objects() -> None:
    row = table(kinds.POD, [pod()], list_resource_version="1", include_object="None", now=NOW)["rows"][0]
    assert "object" not in row


def test_include_object_object_embeds_the_full_object_with_its_kind() -> None:
    obj = pod()
    row = table(kinds.DEPLOYMENT, [obj], list_resource_version="1", include_object="Object", now=NOW)["rows"][0]
    assert row["object"] == {"kind": "Deployment", "apiVersion": "apps/v1", **obj}


def test_an_unknown_include_object_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        table(kinds.POD, [], list_resource_version="1", include_object="Everything", now=NOW)


def test_an_empty_list_is_a_table_with_no_rows() -> None:
    assert table(kinds.NODE, [], list_resource_version="3", now=NOW)["rows"] == []


# --- Node, Namespace, Lease, Event -------------------------------------------------------------

def node(*, ready: str | None = "True", unschedulable: bool = False, labels: dict | None = None) -> dict:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    return {
        "metadata": {"name": "node-1", "creationTimestamp": ago(3 * DAY), "labels": labels or {}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {
            "conditions": conditions,
            "addresses": [{"type": "Hostname", "address": "node-1"}, {"type": "InternalIP", "address": "10.1.0.4"}],
            "nodeInfo": {"kubeletVersion": "v1.32.0-tinykube", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0", "containerRuntimeVersion": "docker://24.0.7"},
        },
    }


@pytest.mark.parametrize(
    ("obj", "status", "roles"),
    [
        (node(), "Ready", "<none>"),
        (node(ready="False"), "NotReady", "<none>"),
        (node(ready="Unknown"), "NotReady", "<none>"),
        (node(ready=None), "Unknown", "<none>"),
        (node(unschedulable=True), "Ready,SchedulingDisabled", "<none>"),
        (node(labels={"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "x"}),
         "Ready", "control-plane"),
        (node(labels={"node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge"}), "Ready", "edge,worker"),
    ],
)
def test_node_status_and_roles_read_like_kubectl_get_nodes(obj: dict, status: str, roles: str) -> None:
    cells = table(kinds.NODE, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == [
        "node-1", status, roles, "3d", "v1.32.0-tinykube",
        "10.1.0.4", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "docker://24.0.7",
    ]


def test_node_without_node_info_shows_unknown_in_wide_columns() -> None:
    cells = table(kinds.NODE, [{"metadata": {"name": "n"}}], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["n", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>",
                     "<unknown>", "<unknown>", "<unknown>"]


def test_namespace_and_lease_rows() -> None:
    ns = {"metadata": {"name": "default", "creationTimestamp": ago(2 * HOUR)}, "status": {"phase": "Active"}}
    lease = {"metadata": {"name": "node-1", "namespace": "kube-node-lease", "creationTimestamp": ago(90)},
             "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}
    assert table(kinds.NAMESPACE, [ns], list_resource_version="1", now=NOW)["rows"][0]["cells"] == [
        "default", "Active", "120m"]
    assert table(kinds.LEASE, [lease], list_resource_version="1", now=NOW)["rows"][0]["cells"] == [
        "node-1", "node-1", "90s"]


def test_event_row_shows_object_source_and_count() -> None:
    event = {
        "metadata": {"name": "web-1.17a", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{c0}"},
        "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning",
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(10 * MINUTE), "lastTimestamp": ago(30), "count": 7,
    }
    cells = table(kinds.EVENT, [event], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["30s", "Warning", "BackOff", "pod/web-1", "spec.containers{c0}", "kubelet, node-1",
                     "Back-off restarting failed container", "10m", 7, "web-1.17a"]


def test_a_new_style_event_falls_back_to_event_time_reporting_controller_and_count_1() -> None:
    event = {
        "metadata": {"name": "node-1.17b", "namespace": "default"},
        "involvedObject": {"kind": "Node"}, "reason": "RegisteredNode", "message": "ok", "type": "Normal",
        "eventTime": (NOW - timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "reportingComponent": "node-controller", "reportingInstance": "master-1",
    }
    cells = table(kinds.EVENT, [event], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["4m", "Normal", "RegisteredNode", "node", "", "node-controller, master-1",
                     "ok", "4m", 1, "node-1.17b"]


def test_an_event_series_supplies_last_seen_and_count() -> None:
    event = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
             "firstTimestamp": ago(HOUR), "count": 1,
             "series": {"count": 12, "lastObservedTime": (NOW - timedelta(seconds=5)).isoformat()}}
    cells = table(kinds.EVENT, [event], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert (cells[0], cells[7], cells[8]) == ("5s", "60m", 12)


# --- Deployment, ReplicaSet, DaemonSet ---------------------------------------------------------

TEMPLATE = {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]}}


def test_deployment_row_counts_are_integers_and_ready_is_a_fraction() -> None:
    deployment = {
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(47 * HOUR)},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
        "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    cells = table(kinds.DEPLOYMENT, [deployment], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["web", "2/3", 3, 2, "47h", "web,log", "nginx:1.27,busybox", "app=web"]


def test_a_fresh_deployment_reads_zero_of_its_replicas() -> None:
    deployment = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": []}}}}
    cells = table(kinds.DEPLOYMENT, [deployment], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["web", "0/1", 0, 0, "<unknown>", "", "", ""]


def test_replicaset_row() -> None:
    replicaset = {
        "metadata": {"name": "web-5d9c", "creationTimestamp": ago(20 * SECOND)},
        "spec": {"replicas": 2, "template": TEMPLATE, "selector": {
            "matchLabels": {"app": "web", "pod-template-hash": "5d9c"}}},
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    cells = table(kinds.REPLICASET, [replicaset], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["web-5d9c", 2, 2, 1, "20s", "web,log", "nginx:1.27,busybox", "app=web,pod-template-hash=5d9c"]


def test_daemonset_row_shows_node_selector_and_counts() -> None:
    daemonset = {
        "metadata": {"name": "agent", "creationTimestamp": ago(9 * DAY)},
        "spec": {
            "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["agent"]}]},
            "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux", "disk": "ssd"},
                                  "containers": [{"name": "agent", "image": "agent:1"}]}},
        },
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                   "updatedNumberScheduled": 3, "numberAvailable": 2},
    }
    cells = table(kinds.DAEMONSET, [daemonset], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells == ["agent", 3, 3, 2, 3, 2, "disk=ssd,kubernetes.io/os=linux", "9d", "agent", "agent:1",
                     "app in (agent)"]


def test_daemonset_without_node_selector_shows_none() -> None:
    daemonset = {"metadata": {"name": "agent"}, "spec": {"template": {"spec": {"containers": []}}}}
    cells = table(kinds.DAEMONSET, [daemonset], list_resource_version="1", now=NOW)["rows"][0]["cells"]
    assert cells[6] == "<none>"
    assert cells[-1] == "<none>"


def test_a_controller_revision_row_names_its_controller_as_kubectl_names_a_resource() -> None:
    owned = {"metadata": {"name": "agent-5c6bb6845c", "creationTimestamp": "2024-01-01T00:00:00Z", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "u", "controller": True}]},
        "revision": 3}
    orphan = {"metadata": {"name": "loose"}, "revision": 1}
    rows = table(kinds.CONTROLLER_REVISION, [owned, orphan], list_resource_version="1", now=NOW)["rows"]
    assert rows[0]["cells"][:3] == ["agent-5c6bb6845c", "daemonset.apps/agent", 3]
    assert rows[1]["cells"][:3] == ["loose", "<none>", 1]


# --- Service, Endpoints, EndpointSlice -------------------------------------------------------

def service(service_type: str = "ClusterIP", *, ports: list | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "creationTimestamp": ago(5 * MINUTE)},
            "spec": {"type": service_type, "clusterIPs": ["10.96.12.34"], "clusterIP": "10.96.12.34",
                     "ports": ports if ports is not None else [{"port": 80, "protocol": "TCP"}], **spec}}


@pytest.mark.parametrize(
    ("description", "obj", "cells"),
    [
        ("cluster IP", service(selector={"tier": "web", "app": "shop"}),
         ["web", "ClusterIP", "10.96.12.34", "<none>", "80/TCP", "5m", "app=shop,tier=web"]),
        ("node port", service("NodePort", ports=[{"port": 8080, "nodePort": 31234, "protocol": "TCP"},
                                                 {"port": 53, "nodePort": 30053, "protocol": "UDP"}]),
         ["web", "NodePort", "10.96.12.34", "<none>", "8080:31234/TCP,53:30053/UDP", "5m", "<none>"]),
        ("external IPs", service("NodePort", externalIPs=["1.2.3.4", "5.6.7.8"]),
         ["web", "NodePort", "10.96.12.34", "1.2.3.4,5.6.7.8", "80/TCP", "5m", "<none>"]),
        ("load balancer waiting for an address", service("LoadBalancer"),
         ["web", "LoadBalancer", "10.96.12.34", "<pending>", "80/TCP", "5m", "<none>"]),
        ("headless without ports", service(ports=[], clusterIPs=["None"], clusterIP="None"),
         ["web", "ClusterIP", "None", "<none>", "<none>", "5m", "<none>"]),
        ("external name", service("ExternalName", ports=[], clusterIPs=None, externalName="db.example.com"),
         ["web", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"]),
    ],
)
def test_service_row_reads_like_kubectl_get_services(description: str, obj: dict, cells: list) -> None:
    assert table(kinds.SERVICE, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"] == cells, description


def test_a_load_balancer_lists_its_ingress_addresses_sorted_then_its_external_ips() -> None:
    obj = service("LoadBalancer", externalIPs=["9.9.9.9"])
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "lb.example.com"}]}}
    assert table(kinds.SERVICE, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"][3] == \
        "5.5.5.5,lb.example.com,9.9.9.9"


def endpoints(*subsets: dict) -> dict[str, Any]:
    return {"metadata": {"name": "web", "creationTimestamp": ago(2 * HOUR)}, "subsets": list(subsets)}


@pytest.mark.parametrize(
    ("description", "obj", "shown"),
    [
        ("none yet", endpoints(), "<none>"),
        ("one address", endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 8080}]}), "10.0.0.1:8080"),
        ("only not ready", endpoints({"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}), "<none>"),
        ("each port of each address, first three",
         endpoints({"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}], "ports": [{"port": 80}, {"port": 443}]}),
         "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."),
        ("headless without ports", endpoints({"addresses": [{"ip": "10.0.0.1"}]}), "10.0.0.1"),
        ("IPv6 in brackets", endpoints({"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}), "[fd00::1]:80"),
    ],
)
def test_endpoints_row_lists_ready_addresses_as_kubectl_does(description: str, obj: dict, shown: str) -> None:
    assert table(kinds.ENDPOINTS, [obj], list_resource_version="1", now=NOW)["rows"][0]["cells"] == \
        ["web", shown, "120m"], description


def test_endpoint_slice_row_lists_ports_and_addresses_with_how_many_more() -> None:
    obj = {"metadata": {"name": "web-abcde", "creationTimestamp": ago(30 * SECOND)}, "addressType": "IPv4",
           "ports": [{"port": 8080, "name": "http"}, {"name": "metrics"}, {}],
           "endpoints": [{"addresses": [f"10.0.0.{i}"]} for i in range(1, 6)]}
    empty = {"metadata": {"name": "empty", "creationTimestamp": ago(30 * SECOND)}, "addressType": "IPv4"}
    rows = table(kinds.ENDPOINT_SLICE, [obj, empty], list_resource_version="1", now=NOW)["rows"]
    assert rows[0]["cells"] == ["web-abcde", "IPv4", "8080,metrics,*", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...",
                                "30s"]
    assert rows[1]["cells"] == ["empty", "IPv4", "<unset>", "<unset>", "30s"]
