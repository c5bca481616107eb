"""Validation rejects what kube-apiserver 1.32 rejects, one cause per bad field, worded as the apiserver words it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from master.api import status
from master.api.defaults import apply_defaults
from master.api.registry import Registry
from master.api.validation import validate
from master.store import SqlStore
from objects import kinds
from objects.base import K8sModel
from objects.kinds import ResourceType
from objects.registry import model_for

Edit = Callable[[dict[str, Any]], None]

SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
QUALIFIED_NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
POD_UPDATE_FORBIDDEN = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
)
REASON_OF_MESSAGE = {
    "Required value": "FieldValueRequired", "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported", "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden", "Too long": "FieldValueTooLong", "Not found": "FieldValueNotFound",
}


# --- realistic valid objects


def valid_pod() -> dict[str, Any]:
    return {
        "metadata": {"name": "web-1", "labels": {"app": "web", "app.kubernetes.io/part-of": "shop"},
                     "annotations": {"example.com/owner": "team-a"}, "finalizers": ["example.com/cleanup"]},
        "spec": {
            "initContainers": [{
                "name": "migrate", "image": "registry.local:5000/shop/migrate:v3", "command": ["./migrate"],
                "env": [{"name": "DB_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}}],
            }],
            "containers": [
                {
                    "name": "app", "image": "nginx:1.25",
                    "ports": [{"name": "http", "containerPort": 8080},
                              {"containerPort": 9090, "hostPort": 9090, "protocol": "UDP"}],
                    "env": [{"name": "MODE", "value": "prod"},
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}],
                    "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
                                  "limits": {"cpu": "1", "memory": "128Mi", "example.com/gpu": "1"}},
                    "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                                     {"name": "config", "mountPath": "/etc/app", "readOnly": True}],
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 5},
                    "readinessProbe": {"tcpSocket": {"port": 8080}},
                    "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
                },
                {"name": "sidecar", "image": "busybox@sha256:" + "a" * 64, "command": ["sh", "-c", "sleep 3600"]},
            ],
            "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "config", "configMap": {"name": "web-config"}}],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
            ],
            "terminationGracePeriodSeconds": 45,
            "activeDeadlineSeconds": 3600,
        },
    }


def valid_controller(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"},
                         "matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]}]},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "frontend"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                                         "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}}]},
            },
            **spec,
        },
    }


def valid_node() -> dict[str, Any]:
    return {"metadata": {"name": "node-1.example.com", "labels": {"kubernetes.io/hostname": "node-1"}},
            "spec": {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"},
                                {"key": "dedicated", "value": "db", "effect": "NoExecute"}]},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def valid_event() -> dict[str, Any]:
    return {"metadata": {"name": "web-1.17a1b2c3d4e5f6a7"}, "type": "Normal", "reason": "Scheduled",
            "message": "Successfully assigned default/web-1 to node-1",
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1", "apiVersion": "v1"},
            "source": {"component": "default-scheduler"}, "count": 1}


def valid_lease() -> dict[str, Any]:
    return {"metadata": {"name": "node-1", "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "renewTime": "2024-06-01T12:00:00.000000Z"}}


# --- helpers


def admitted(rt: ResourceType, wire: dict[str, Any]) -> K8sModel:
    """The object as validation sees it in the registry: decoded, defaulted, namespace set."""
    obj = model_for(rt).model_validate(copy.deepcopy(wire))
    apply_defaults(rt, obj)
    if rt.namespaced and not obj.metadata.namespace:
        obj.metadata.namespace = "default"
    return obj


def causes_of(rt: ResourceType, wire: dict[str, Any], old: dict[str, Any] | None = None) -> list[dict[str, str]]:
    return validate(rt, admitted(rt, wire), admitted(rt, old) if old is not None else None)


def messages_of(rt: ResourceType, wire: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [c["message"] for c in causes_of(rt, wire, old)]


def edited(wire: dict[str, Any], *edits: Edit) -> dict[str, Any]:
    changed = copy.deepcopy(wire)
    for edit in edits:
        edit(changed)
    return changed


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _walk(obj: Any, path: str) -> tuple[Any, str | int]:
    steps = [int(index) if index else name for name, index in _STEP.findall(path)]
    for step in steps[:-1]:
        obj = obj[step] if isinstance(step, int) else obj.setdefault(step, {})
    return obj, steps[-1]


def setting(path: str, value: Any) -> Edit:
    def edit(obj: dict[str, Any]) -> None:
        parent, key = _walk(obj, path)
        parent[key] = copy.deepcopy(value)
    edit.__name__ = f"{path}={value!r}"
    return edit


def removing(path: str) -> Edit:
    def edit(obj: dict[str, Any]) -> None:
        parent, key = _walk(obj, path)
        del parent[key]
    return edit


def appending(path: str, value: Any) -> Edit:
    def edit(obj: dict[str, Any]) -> None:
        parent, key = _walk(obj, path)
        parent[key].append(copy.deepcopy(value))
    return edit


# --- valid objects pass


@pytest.mark.parametrize(("rt", "wire"), [
    (kinds.POD, valid_pod()),
    (kinds.POD, {"metadata": {"name": "bare"}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}),
    (kinds.DEPLOYMENT, valid_controller(strategy={"type": "Recreate"})),
    (kinds.DEPLOYMENT, valid_controller(replicas=3, minReadySeconds=5,
                                        strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "0%"}})),
    (kinds.REPLICASET, valid_controller(replicas=0)),
    (kinds.DAEMONSET, valid_controller(updateStrategy={"rollingUpdate": {"maxSurge": "10%", "maxUnavailable": 0}})),
    (kinds.NODE, valid_node()),
    (kinds.NAMESPACE, {"metadata": {"name": "team-a"}, "spec": {"finalizers": ["kubernetes"]}}),
    (kinds.EVENT, valid_event()),
    (kinds.LEASE, valid_lease()),
], ids=["pod", "bare_pod", "recreate_deployment", "rolling_deployment", "replicaset", "daemonset", "node",
        "namespace", "event", "lease"])
def test_a_realistic_valid_object_has_no_causes(rt, wire):
    assert causes_of(rt, wire) == []


# --- metadata


@pytest.mark.parametrize(("edit", "message"), [
    (setting("metadata.name", "Web_1"), f'metadata.name: Invalid value: "Web_1": {SUBDOMAIN_RULE}'),
    (setting("metadata.name", "a" * 254), 'metadata.name: Invalid value: "' + "a" * 254 + '": '
                                          "must be no more than 253 characters"),
    (removing("metadata.name"), "metadata.name: Required value: name or generateName is required"),
    (setting("metadata.generateName", "Web-"), f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_RULE}'),
    (setting("metadata.namespace", "Team_A"), f'metadata.namespace: Invalid value: "Team_A": {LABEL_RULE}'),
    (setting("metadata.labels", {"app": "not ok!"}), f'metadata.labels: Invalid value: "not ok!": {LABEL_VALUE_RULE}'),
    (setting("metadata.labels", {"-bad": "x"}), f'metadata.labels: Invalid value: "-bad": {QUALIFIED_NAME_RULE}'),
    (setting("metadata.annotations", {"bad key": "x"}),
     f'metadata.annotations: Invalid value: "bad key": {QUALIFIED_NAME_RULE}'),
    (setting("metadata.annotations", {"example.com/blob": "x" * 262144}),
     "metadata.annotations: Too long: may not be more than 262144 bytes"),
    (setting("metadata.finalizers", ["custom"]),
     'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully '
     "qualified"),
], ids=["name_not_a_subdomain", "name_too_long", "name_missing", "generate_name_not_a_subdomain",
        "namespace_not_a_label", "label_value", "label_key", "annotation_key", "annotations_over_256KiB",
        "finalizer_without_domain"])
def test_metadata_rules(edit, message):
    assert message in messages_of(kinds.POD, edited(valid_pod(), edit))


def test_a_generate_name_alone_is_enough_when_validating_directly():
    wire = edited(valid_pod(), removing("metadata.name"), setting("metadata.generateName", "web-"))
    assert causes_of(kinds.POD, wire) == []


def test_a_cluster_scoped_object_may_not_carry_a_namespace():
    wire = edited(valid_node(), setting("metadata.namespace", "default"))
    assert messages_of(kinds.NODE, wire) == ["metadata.namespace: Forbidden: not allowed on this type"]


@pytest.mark.parametrize(("name", "message"), [
    ("Team_A", f'metadata.name: Invalid value: "Team_A": {LABEL_RULE}'),
    ("team.a", 'metadata.name: Invalid value: "team.a": must not contain dots'),
    ("a" * 64, 'metadata.name: Invalid value: "' + "a" * 64 + '": must be no more than 63 characters'),
])
def test_a_namespace_name_is_a_dns_label(name, message):
    assert messages_of(kinds.NAMESPACE, {"metadata": {"name": name}}) == [message]


def test_a_node_name_may_be_a_dotted_subdomain_but_not_uppercase():
    assert causes_of(kinds.NODE, {"metadata": {"name": "node-1.example.com"}}) == []
    assert messages_of(kinds.NODE, {"metadata": {"name": "Node_1"}}) == [
        f'metadata.name: Invalid value: "Node_1": {SUBDOMAIN_RULE}']


# --- pod spec


C0 = "spec.containers[0]"

POD_SPEC_CASES = [
    ("containers_required", setting("spec.containers", []), "spec.containers: Required value"),
    ("container_name_required", removing(f"{C0}.name"), f"{C0}.name: Required value"),
    ("container_name_is_a_label", setting(f"{C0}.name", "App_1"), f'{C0}.name: Invalid value: "App_1": {LABEL_RULE}'),
    ("container_names_unique", setting("spec.containers[1].name", "app"),
     'spec.containers[1].name: Duplicate value: "app"'),
    ("init_container_names_unique_across_lists", setting("spec.initContainers[0].name", "app"),
     'spec.initContainers[0].name: Duplicate value: "app"'),
    ("image_required", removing(f"{C0}.image"), f"{C0}.image: Required value"),
    ("image_without_surrounding_space", setting(f"{C0}.image", " nginx"),
     f'{C0}.image: Invalid value: " nginx": must not have leading or trailing whitespace'),
    ("container_port_range", setting(f"{C0}.ports[0].containerPort", 70000),
     f"{C0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("container_port_required", removing(f"{C0}.ports[0].containerPort"), f"{C0}.ports[0].containerPort: Required value"),
    ("host_port_range", setting(f"{C0}.ports[1].hostPort", 70000),
     f"{C0}.ports[1].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("host_port_not_negative", setting(f"{C0}.ports[1].hostPort", -1),
     f"{C0}.ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive"),
    ("port_name_at_most_15", setting(f"{C0}.ports[0].name", "http-server-port"),
     f'{C0}.ports[0].name: Invalid value: "http-server-port": must be no more than 15 characters'),
    ("port_name_charset", setting(f"{C0}.ports[0].name", "Http"),
     f'{C0}.ports[0].name: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), '
     "and hyphens (-)"),
    ("port_name_needs_a_letter", setting(f"{C0}.ports[0].name", "8080"),
     f'{C0}.ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)'),
    ("port_names_unique", setting(f"{C0}.ports[1].name", "http"), f'{C0}.ports[1].name: Duplicate value: "http"'),
    ("port_protocol", setting(f"{C0}.ports[0].protocol", "HTTP"),
     f'{C0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ("host_ports_unique_in_a_pod",
     setting("spec.containers[1].ports", [{"containerPort": 9090, "hostPort": 9090, "protocol": "UDP"}]),
     'spec.containers[1].ports[0].hostPort: Duplicate value: "UDP//9090"'),
    ("env_name_required", removing(f"{C0}.env[0].name"), f"{C0}.env[0].name: Required value"),
    ("env_name_printable_without_equals", setting(f"{C0}.env[0].name", "A=B"),
     f'{C0}.env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable '
     "ASCII characters other than '='"),
    ("env_one_source", setting(f"{C0}.env[1].valueFrom.secretKeyRef", {"name": "s", "key": "k"}),
     f'{C0}.env[1].valueFrom: Invalid value: "": may not have more than one field specified at a time'),
    ("env_value_or_source", setting(f"{C0}.env[1].value", "literal"),
     f'{C0}.env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty'),
    ("env_field_path_supported", setting(f"{C0}.env[1].valueFrom.fieldRef.fieldPath", "spec.hostname"),
     f'{C0}.env[1].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": supported values: '
     '"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", '
     '"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'),
    ("quantity_parses", setting(f"{C0}.resources.limits.cpu", "lots"),
     f'{C0}.resources.limits[cpu]: Invalid value: "lots": quantities must match the regular expression '
     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
    ("quantity_not_negative", setting(f"{C0}.resources.requests.memory", "-64Mi"),
     f'{C0}.resources.requests[memory]: Invalid value: "-64Mi": must be greater than or equal to 0'),
    ("request_within_limit", setting(f"{C0}.resources.requests.cpu", "2"),
     f'{C0}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'),
    ("resource_name_standard", setting(f"{C0}.resources.limits.gpu", "1"),
     f'{C0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'),
    ("extended_resource_needs_limit", setting(f"{C0}.resources.requests", {"example.com/fpga": "1"}),
     f"{C0}.resources.limits: Required value: Limit must be set for non overcommitable resources"),
    ("extended_resource_is_whole", setting(f"{C0}.resources.limits", {"example.com/gpu": "500m"}),
     f"{C0}.resources.limits[example.com/gpu]: Invalid value: 500m: must be an integer"),
    ("restart_policy", setting("spec.restartPolicy", "Sometimes"),
     'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
    ("dns_policy", setting("spec.dnsPolicy", "ClusterLast"),
     'spec.dnsPolicy: Unsupported value: "ClusterLast": supported values: "ClusterFirstWithHostNet", '
     '"ClusterFirst", "Default", "None"'),
    ("volume_names_unique", setting("spec.volumes[1].name", "cache"), 'spec.volumes[1].name: Duplicate value: "cache"'),
    ("volume_name_is_a_label", setting("spec.volumes[0].name", "Cache"),
     f'spec.volumes[0].name: Invalid value: "Cache": {LABEL_RULE}'),
    ("volume_has_one_source", setting("spec.volumes[0].hostPath", {"path": "/var/cache"}),
     "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"),
    ("host_path_required", setting("spec.volumes[0]", {"name": "cache", "hostPath": {}}),
     "spec.volumes[0].hostPath.path: Required value"),
    ("mount_names_a_volume", setting(f"{C0}.volumeMounts[0].name", "missing"),
     f'{C0}.volumeMounts[0].name: Not found: "missing"'),
    ("mount_path_required", removing(f"{C0}.volumeMounts[0].mountPath"), f"{C0}.volumeMounts[0].mountPath: Required value"),
    ("mount_paths_unique", setting(f"{C0}.volumeMounts[1].mountPath", "/cache"),
     f'{C0}.volumeMounts[1].mountPath: Invalid value: "/cache": must be unique'),
    ("probe_needs_a_handler", setting(f"{C0}.livenessProbe", {"initialDelaySeconds": 5}),
     f"{C0}.livenessProbe: Required value: must specify a handler type"),
    ("probe_has_one_handler", setting(f"{C0}.livenessProbe.exec", {"command": ["true"]}),
     f"{C0}.livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type"),
    ("liveness_success_threshold_is_1", setting(f"{C0}.livenessProbe.successThreshold", 2),
     f"{C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1"),
    ("probe_period_not_negative", setting(f"{C0}.readinessProbe.periodSeconds", -1),
     f"{C0}.readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0"),
    ("probe_port_range", setting(f"{C0}.readinessProbe.tcpSocket.port", 70000),
     f"{C0}.readinessProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("http_get_scheme", setting(f"{C0}.livenessProbe.httpGet.scheme", "FTP"),
     f'{C0}.livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'),
    ("hook_needs_a_handler", setting(f"{C0}.lifecycle.preStop", {}),
     f"{C0}.lifecycle.preStop: Required value: must specify a handler type"),
    ("plain_init_container_has_no_probes", setting("spec.initContainers[0].readinessProbe", {"exec": {"command": ["true"]}}),
     "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without "
     "restartPolicy=Always"),
    ("regular_container_has_no_restart_policy", setting(f"{C0}.restartPolicy", "Always"),
     f"{C0}.restartPolicy: Forbidden: may not be set for non-init containers"),
    ("toleration_operator", setting("spec.tolerations[0].operator", "In"),
     'spec.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"'),
    ("toleration_effect", setting("spec.tolerations[0].effect", "NoRun"),
     'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", '
     '"NoExecute"'),
    ("toleration_without_key_must_exist", setting("spec.tolerations[0]", {"operator": "Equal", "value": "x"}),
     'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which '
     'means "match all values and all keys"'),
    ("toleration_exists_has_no_value", setting("spec.tolerations[1].value", "x"),
     "spec.tolerations[1].operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'"),
    ("toleration_seconds_only_for_no_execute", setting("spec.tolerations[0].tolerationSeconds", 60),
     "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when "
     "`tolerationSeconds` is set"),
    ("node_selector_keys", setting("spec.nodeSelector", {"bad key": "x"}),
     f'spec.nodeSelector: Invalid value: "bad key": {QUALIFIED_NAME_RULE}'),
    ("grace_period_not_negative", setting("spec.terminationGracePeriodSeconds", -1),
     "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"),
    ("active_deadline_positive", setting("spec.activeDeadlineSeconds", 0),
     "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"),
    ("host_network_ports_match", lambda pod: (pod["spec"].update(hostNetwork=True),
                                              pod["spec"]["containers"][0]["ports"][1].update(hostPort=9091)),
     f"{C0}.ports[1].hostPort: Invalid value: 9091: must match `containerPort` when `hostNetwork` is true"),
]


@pytest.mark.parametrize(("edit", "message"), [case[1:] for case in POD_SPEC_CASES],
                         ids=[case[0] for case in POD_SPEC_CASES])
def test_pod_spec_rules(edit, message):
    assert message in messages_of(kinds.POD, edited(valid_pod(), edit))


@pytest.mark.parametrize(("edit", "message"), [
    (setting(f"{C0}.ports[0].containerPort", 70000),
     f"{C0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    (removing(f"{C0}.image"), f"{C0}.image: Required value"),
    (setting("spec.containers[1].name", "app"), 'spec.containers[1].name: Duplicate value: "app"'),
    (setting("spec.restartPolicy", "Sometimes"),
     'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
])
def test_a_single_mistake_gives_exactly_one_cause(edit, message):
    assert messages_of(kinds.POD, edited(valid_pod(), edit)) == [message]


def test_every_cause_names_its_field_and_a_reason_matching_its_wording():
    found = [c for _, edit, _ in POD_SPEC_CASES for c in causes_of(kinds.POD, edited(valid_pod(), edit))]
    assert len(found) >= len(POD_SPEC_CASES)
    for found_cause in found:
        assert set(found_cause) == {"reason", "message", "field"}
        assert found_cause["message"].startswith(found_cause["field"] + ": ")
        kind_of_error = found_cause["message"][len(found_cause["field"]) + 2:].split(":")[0]
        assert found_cause["reason"] == REASON_OF_MESSAGE[kind_of_error]


def test_a_volume_without_a_source_is_required_one_when_not_defaulted():
    pod = admitted(kinds.POD, edited(valid_pod(), setting("spec.volumes[0]", {"name": "cache"})))
    assert pod.spec.volumes[0].empty_dir is not None  # the apiserver turns it into an emptyDir first
    pod.spec.volumes[0].empty_dir = None
    assert [c["message"] for c in validate(kinds.POD, pod, None)] == [
        "spec.volumes[0]: Required value: must specify a volume type",
        f'{C0}.volumeMounts[0].name: Not found: "cache"',
    ]


def test_an_undefaulted_pod_misses_what_defaulting_would_have_set():
    pod = model_for(kinds.POD).model_validate({"metadata": {"name": "web", "namespace": "default"},
                                               "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
    assert {c["field"] for c in validate(kinds.POD, pod, None)} == {
        "spec.terminationGracePeriodSeconds", f"{C0}.terminationMessagePolicy", f"{C0}.imagePullPolicy",
        "spec.restartPolicy", "spec.dnsPolicy"}


# --- pod updates


@pytest.mark.parametrize("edit", [
    setting(f"{C0}.image", "nginx:1.26"),
    setting("spec.initContainers[0].image", "registry.local:5000/shop/migrate:v4"),
    setting("spec.activeDeadlineSeconds", 60),
    appending("spec.tolerations", {"key": "spot", "operator": "Exists"}),
    setting("spec.tolerations[1].tolerationSeconds", 30),
    setting("metadata.labels", {"app": "web", "canary": "true"}),
], ids=["image", "init_image", "shorter_deadline", "added_toleration", "toleration_seconds", "labels"])
def test_a_pod_update_may_change_images_deadline_tolerations_and_metadata(edit):
    assert causes_of(kinds.POD, edited(valid_pod(), edit), old=valid_pod()) == []


@pytest.mark.parametrize("edit", [
    setting(f"{C0}.ports[0].containerPort", 8081),
    setting("spec.terminationGracePeriodSeconds", 60),
    setting("spec.nodeName", "node-2"),
    setting("spec.restartPolicy", "Never"),
    setting(f"{C0}.env[0].value", "dev"),
], ids=["port", "grace_period", "node_name", "restart_policy", "env"])
def test_any_other_pod_spec_change_is_forbidden_with_the_apiservers_message(edit):
    found = causes_of(kinds.POD, edited(valid_pod(), edit), old=valid_pod())
    assert len(found) == 1 and found[0]["field"] == "spec" and found[0]["reason"] == "FieldValueForbidden"
    assert found[0]["message"].startswith(POD_UPDATE_FORBIDDEN)


@pytest.mark.parametrize(("edit", "message"), [
    (appending("spec.containers", {"name": "extra", "image": "busybox"}),
     "spec.containers: Forbidden: pod updates may not add or remove containers"),
    (removing("spec.tolerations[0]"),
     "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"),
    (setting("spec.activeDeadlineSeconds", 7200),
     "spec.activeDeadlineSeconds: Invalid value: 7200: must be less than or equal to previous value"),
    (removing("spec.activeDeadlineSeconds"),
     "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"),
], ids=["add_container", "remove_toleration", "longer_deadline", "remove_deadline"])
def test_pod_update_rules(edit, message):
    assert message in messages_of(kinds.POD, edited(valid_pod(), edit), old=valid_pod())


def test_a_negative_grace_period_may_be_raised_to_one():
    old = model_for(kinds.POD).model_validate(valid_pod())
    apply_defaults(kinds.POD, old)
    old.metadata.namespace = "default"
    old.spec.termination_grace_period_seconds = -5  # stored before this rule existed
    new = old.model_copy(deep=True)
    new.spec.termination_grace_period_seconds = 1
    assert validate(kinds.POD, new, old) == []


# --- Deployments, ReplicaSets, DaemonSets

TEMPLATE_SPEC = "spec.template.spec"

CONTROLLER_CASES = [
    ("selector_required", removing("spec.selector"), "spec.selector: Required value"),
    ("template_labels_match_selector", setting("spec.template.metadata.labels", {"app": "other", "tier": "frontend"}),
     'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"frontend"}: '
     "`selector` does not match template `labels`"),
    ("selector_operator", setting("spec.selector.matchExpressions[0].operator", "Near"),
     'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'),
    ("selector_in_needs_values", removing("spec.selector.matchExpressions[0].values"),
     "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
     "'NotIn'"),
    ("template_restart_policy_always", setting(f"{TEMPLATE_SPEC}.restartPolicy", "Never"),
     f'{TEMPLATE_SPEC}.restartPolicy: Unsupported value: "Never": supported values: "Always"'),
    ("template_pod_spec_validated", removing(f"{TEMPLATE_SPEC}.containers[0].image"),
     f"{TEMPLATE_SPEC}.containers[0].image: Required value"),
    ("template_labels_validated", setting("spec.template.metadata.labels.extra", "not ok!"),
     f'spec.template.labels: Invalid value: "not ok!": {LABEL_VALUE_RULE}'),
]


@pytest.mark.parametrize("rt", [kinds.DEPLOYMENT, kinds.REPLICASET, kinds.DAEMONSET], ids=lambda rt: rt.kind)
@pytest.mark.parametrize(("edit", "message"), [case[1:] for case in CONTROLLER_CASES],
                         ids=[case[0] for case in CONTROLLER_CASES])
def test_controller_selector_and_template_rules(rt, edit, message):
    assert message in messages_of(rt, edited(valid_controller(), edit))


@pytest.mark.parametrize(("rt", "owner"), [(kinds.DEPLOYMENT, "deployment"), (kinds.REPLICASET, "deployment"),
                                           (kinds.DAEMONSET, "daemonset")], ids=lambda value: getattr(value, "kind", ""))
def test_an_empty_selector_is_invalid(rt, owner):
    assert messages_of(rt, edited(valid_controller(), setting("spec.selector", {}))) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        f"MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: empty selector is invalid for {owner}"]


@pytest.mark.parametrize("rt", [kinds.DEPLOYMENT, kinds.REPLICASET, kinds.DAEMONSET], ids=lambda rt: rt.kind)
def test_the_selector_is_immutable(rt):
    old = valid_controller()
    new = edited(old, setting("spec.selector", {"matchLabels": {"app": "web"}}))
    assert messages_of(rt, new, old=old) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]


@pytest.mark.parametrize("rt", [kinds.DEPLOYMENT, kinds.REPLICASET, kinds.DAEMONSET], ids=lambda rt: rt.kind)
def test_a_controller_update_may_change_its_template(rt):
    old = valid_controller()
    new = edited(old, setting(f"{TEMPLATE_SPEC}.containers[0].image", "nginx:1.26"))
    assert causes_of(rt, new, old=old) == []


@pytest.mark.parametrize("rt", [kinds.DEPLOYMENT, kinds.REPLICASET], ids=lambda rt: rt.kind)
def test_replicas_are_not_negative(rt):
    assert messages_of(rt, valid_controller(replicas=-1)) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"]


DEPLOYMENT_CASES = [
    ("strategy_type", {"strategy": {"type": "Canary"}},
     'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Canary", '
     'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'),
    ("max_surge_percent", {"strategy": {"rollingUpdate": {"maxSurge": "a lot"}}},
     "spec.strategy.rollingUpdate.maxSurge: Invalid value: a lot: a valid percent string must be a numeric string "
     "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
    ("max_surge_not_negative", {"strategy": {"rollingUpdate": {"maxSurge": -1}}},
     "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"),
    ("not_both_zero", {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}},
     "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0"),
    ("max_unavailable_at_most_100_percent", {"strategy": {"rollingUpdate": {"maxUnavailable": "150%"}}},
     "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%"),
    ("recreate_has_no_rolling_update", {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
     "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"),
    ("progress_deadline_after_min_ready", {"progressDeadlineSeconds": 10, "minReadySeconds": 10},
     "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"),
    ("revision_history_not_negative", {"revisionHistoryLimit": -1},
     "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"),
]


@pytest.mark.parametrize(("spec", "message"), [case[1:] for case in DEPLOYMENT_CASES],
                         ids=[case[0] for case in DEPLOYMENT_CASES])
def test_deployment_strategy_rules(spec, message):
    assert messages_of(kinds.DEPLOYMENT, valid_controller(**spec)) == [message]


def test_a_deployment_template_may_not_set_an_active_deadline():
    wire = edited(valid_controller(), setting(f"{TEMPLATE_SPEC}.activeDeadlineSeconds", 60))
    assert messages_of(kinds.DEPLOYMENT, wire) == [
        f"{TEMPLATE_SPEC}.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"]


DAEMON_SET_CASES = [
    ("update_strategy_type", {"updateStrategy": {"type": "Everywhere"}},
     'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Everywhere", '
     'RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'),
    ("surge_or_unavailable_not_both", {"updateStrategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}},
     "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"),
    ("surge_or_unavailable_not_neither", {"updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}},
     "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"),
    ("max_surge_at_most_100_percent", {"updateStrategy": {"rollingUpdate": {"maxSurge": "200%", "maxUnavailable": 0}}},
     "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 200%: must not be greater than 100%"),
]


@pytest.mark.parametrize(("spec", "message"), [case[1:] for case in DAEMON_SET_CASES],
                         ids=[case[0] for case in DAEMON_SET_CASES])
def test_daemon_set_update_strategy_rules(spec, message):
    assert messages_of(kinds.DAEMONSET, valid_controller(**spec)) == [message]


def test_a_daemon_set_template_may_not_set_an_active_deadline():
    wire = edited(valid_controller(), setting(f"{TEMPLATE_SPEC}.activeDeadlineSeconds", 60))
    assert messages_of(kinds.DAEMONSET, wire) == [
        f"{TEMPLATE_SPEC}.activeDeadlineSeconds: Invalid value: 60: activeDeadlineSeconds in DaemonSet is not Supported"]


# --- Nodes, Namespaces, Events, Leases


@pytest.mark.parametrize(("edit", "message"), [
    (setting("spec.taints[0].effect", "NoRun"),
     'spec.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", '
     '"NoExecute"'),
    (removing("spec.taints[0].effect"), "spec.taints[0].effect: Required value"),
    (setting("spec.taints[0].key", "bad key"), f'spec.taints[0].key: Invalid value: "bad key": {QUALIFIED_NAME_RULE}'),
    (setting("spec.taints[0].value", "not ok!"), f'spec.taints[0].value: Invalid value: "not ok!": {LABEL_VALUE_RULE}'),
    (setting("spec.taints[1].effect", "NoSchedule"),
     'spec.taints[1]: Duplicate value: core.Taint{Key:"dedicated", Value:"db", Effect:"NoSchedule", '
     "TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair"),
], ids=["effect_supported", "effect_required", "key", "value", "unique_by_key_and_effect"])
def test_node_taint_rules(edit, message):
    assert messages_of(kinds.NODE, edited(valid_node(), edit)) == [message]


def test_a_namespace_finalizer_without_a_domain_must_be_a_standard_one():
    assert messages_of(kinds.NAMESPACE, {"metadata": {"name": "team-a"}, "spec": {"finalizers": ["custom"]}}) == [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully '
        "qualified"]


@pytest.mark.parametrize(("edit", "message"), [
    (removing("involvedObject"), "involvedObject: Required value"),
    (setting("involvedObject.namespace", "other"),
     'involvedObject.namespace: Invalid value: "other": does not match event.namespace'),
    (setting("eventTime", "2024-06-01T12:00:00.000000Z"), "reportingComponent: Required value"),
], ids=["involved_object_required", "namespaces_agree", "new_style_event_says_who_reported_it"])
def test_event_rules(edit, message):
    assert message in messages_of(kinds.EVENT, edited(valid_event(), edit))


def test_an_event_about_a_cluster_scoped_object_may_live_in_default():
    wire = edited(valid_event(), setting("involvedObject", {"kind": "Node", "name": "node-1"}))
    assert causes_of(kinds.EVENT, wire) == []


@pytest.mark.parametrize(("edit", "message"), [
    (setting("spec.leaseDurationSeconds", 0), "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"),
    (setting("spec.leaseTransitions", -1), "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"),
])
def test_lease_rules(edit, message):
    assert messages_of(kinds.LEASE, edited(valid_lease(), edit)) == [message]


def test_a_lease_update_is_validated_like_a_create():
    assert causes_of(kinds.LEASE, edited(valid_lease(), setting("spec.holderIdentity", "node-2")),
                     old=valid_lease()) == []


# --- through the registry's admission chain


@pytest.fixture
def registry(tmp_path):
    registry = Registry(SqlStore(f"sqlite:///{tmp_path / 'store.db'}"), seed=1)
    registry.create(kinds.NAMESPACE, None, {"metadata": {"name": "default"}}, field_validation="Strict")
    return registry


def test_the_registry_stores_a_defaulted_pod_that_passes_validation(registry):
    stored = registry.create(kinds.POD, "default", valid_pod(), field_validation="Strict").obj
    assert stored["spec"]["containers"][0]["terminationMessagePolicy"] == "File"
    assert stored["spec"]["containers"][0]["resources"]["requests"]["example.com/gpu"] == "1"


def test_the_registry_answers_422_with_one_cause_per_bad_field_and_stores_nothing(registry):
    bad = edited(valid_pod(), setting(f"{C0}.ports[0].containerPort", 70000), removing("spec.containers[1].image"))
    with pytest.raises(status.ApiError) as raised:
        registry.create(kinds.POD, "default", bad, field_validation="Strict")
    assert raised.value.code == 422 and raised.value.reason == "Invalid"
    assert [c["field"] for c in raised.value.details["causes"]] == [f"{C0}.ports[0].containerPort",
                                                                    "spec.containers[1].image"]
    assert registry.list(kinds.POD, "default")[0] == []


def test_the_registry_refuses_a_pod_update_that_changes_more_than_images(registry):
    registry.create(kinds.POD, "default", valid_pod(), field_validation="Strict")
    changed = edited(valid_pod(), setting(f"{C0}.ports[0].containerPort", 8081))
    with pytest.raises(status.ApiError) as raised:
        registry.update(kinds.POD, "default", "web-1", changed, field_validation="Strict")
    assert raised.value.code == 422
    assert raised.value.message.startswith('Pod "web-1" is invalid: ' + POD_UPDATE_FORBIDDEN)
    image_only = edited(valid_pod(), setting(f"{C0}.image", "nginx:1.26"))
    updated = registry.update(kinds.POD, "default", "web-1", image_only, field_validation="Strict").obj
    assert updated["spec"]["containers"][0]["image"] == "nginx:1.26"


# --- the stored form: typed admission writes the bytes the dict-based chain wrote


def test_a_created_objects_metadata_lists_the_clients_keys_then_the_servers_in_the_order_it_fills_them(registry):
    sent = {"metadata": {"generateName": "web-", "labels": {"app": "web"}, "uid": "ignored"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}
    stored = registry.create(kinds.POD, "default", sent, field_validation="Strict").obj
    assert list(stored["metadata"]) == ["generateName", "labels", "namespace", "name", "uid", "creationTimestamp",
                                        "resourceVersion"]
    assert stored["metadata"]["uid"] != "ignored"


def test_an_update_of_the_main_resource_keeps_the_stored_status_as_it_was_written(registry):
    # The binding writes lastProbeTime: null, which the Pod model would drop if the status went through it.
    registry.create(kinds.POD, "default", valid_pod(), field_validation="Strict")
    registry.bind("default", "web-1", {"target": {"name": "node-1"}})
    bound = registry.get(kinds.POD, "default", "web-1")
    relabelled = edited(bound, setting("metadata.labels.tier", "front"))
    updated = registry.update(kinds.POD, "default", "web-1", relabelled, field_validation="Strict").obj
    assert updated["metadata"]["labels"]["tier"] == "front"
    assert json.dumps(updated["status"]) == json.dumps(bound["status"])
    assert updated["status"]["conditions"][0]["lastProbeTime"] is None
