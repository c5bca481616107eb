"""Defaulting fills in what kube-apiserver 1.32 fills in, in pods and in controllers' pod templates, and nothing else."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from master.api.defaults import apply_defaults, image_pull_policy
from objects import kinds
from objects.kinds import ResourceType
from objects.registry import model_for

BARE_POD = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}}


def defaulted(rt: ResourceType, wire: dict[str, Any]) -> dict[str, Any]:
    obj = model_for(rt).model_validate(copy.deepcopy(wire))
    apply_defaults(rt, obj)
    return obj.to_wire()


def pod_with(**container: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx:1.25", **container}]}}


def pod_with_volume(volume: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}], "volumes": [{"name": "data", **volume}]}}


def template(spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": spec or {"containers": [{"name": "app", "image": "nginx"}]}},
                     **extra}}


# --- a bare pod


@pytest.mark.parametrize(("field", "expected"), [
    ("restartPolicy", "Always"),
    ("terminationGracePeriodSeconds", 30),
    ("dnsPolicy", "ClusterFirst"),
    ("schedulerName", "default-scheduler"),
    ("securityContext", {}),
    ("enableServiceLinks", True),
])
def test_a_bare_pod_gets_the_pod_spec_defaults(field, expected):
    assert defaulted(kinds.POD, BARE_POD)["spec"][field] == expected


@pytest.mark.parametrize(("field", "expected"), [
    ("terminationMessagePath", "/dev/termination-log"),
    ("terminationMessagePolicy", "File"),
    ("imagePullPolicy", "Always"),
])
def test_a_bare_pod_gets_the_container_defaults(field, expected):
    assert defaulted(kinds.POD, BARE_POD)["spec"]["containers"][0][field] == expected


def test_a_bare_pod_gets_nothing_beyond_kubernetes_defaults():
    spec = defaulted(kinds.POD, BARE_POD)["spec"]
    assert set(spec) == {"containers", "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy",
                         "schedulerName", "securityContext", "enableServiceLinks"}
    assert set(spec["containers"][0]) == {"name", "image", "imagePullPolicy", "terminationMessagePath",
                                          "terminationMessagePolicy"}


def test_a_pod_without_a_spec_gets_a_defaulted_one_for_validation_to_judge():
    assert defaulted(kinds.POD, {"metadata": {"name": "web"}})["spec"]["restartPolicy"] == "Always"


def test_init_containers_get_container_defaults_too():
    wire = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}],
                                                  "initContainers": [{"name": "setup", "image": "busybox:1.36"}]}}
    init = defaulted(kinds.POD, wire)["spec"]["initContainers"][0]
    assert init["imagePullPolicy"] == "IfNotPresent" and init["terminationMessagePolicy"] == "File"


def test_defaulting_twice_changes_nothing_so_an_unchanged_update_stays_unchanged():
    once = defaulted(kinds.POD, pod_with(resources={"limits": {"cpu": "0.5"}}, ports=[{"containerPort": 80}]))
    assert defaulted(kinds.POD, once) == once


# --- image pull policy


@pytest.mark.parametrize(("image", "policy"), [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.25", "IfNotPresent"),
    ("registry.local:5000/team/app", "Always"),
    ("registry.local:5000/team/app:v1", "IfNotPresent"),
    ("app@sha256:" + "a" * 64, "IfNotPresent"),
    ("app:latest@sha256:" + "a" * 64, "Always"),
    ("", "IfNotPresent"),
])
def test_image_pull_policy_is_always_only_for_latest_or_untagged_images(image, policy):
    assert image_pull_policy(image) == policy


# --- ports, probes, env


def test_ports_default_to_tcp():
    ports = defaulted(kinds.POD, pod_with(ports=[{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]))
    assert [p["protocol"] for p in ports["spec"]["containers"][0]["ports"]] == ["TCP", "UDP"]


def test_probes_get_their_timing_defaults_and_http_gets_a_path_and_scheme():
    probe = defaulted(kinds.POD, pod_with(livenessProbe={"httpGet": {"port": 8080}}))["spec"]["containers"][0]["livenessProbe"]
    assert probe == {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
                     "successThreshold": 1, "failureThreshold": 3}


def test_readiness_and_startup_probes_are_defaulted_like_liveness():
    ctr = defaulted(kinds.POD, pod_with(readinessProbe={"tcpSocket": {"port": 80}},
                                        startupProbe={"exec": {"command": ["true"]}}))["spec"]["containers"][0]
    assert ctr["readinessProbe"]["periodSeconds"] == 10 and "scheme" not in ctr["readinessProbe"]["tcpSocket"]
    assert ctr["startupProbe"]["failureThreshold"] == 3


def test_lifecycle_http_hooks_get_a_path_and_scheme():
    ctr = defaulted(kinds.POD, pod_with(lifecycle={"preStop": {"httpGet": {"port": 80}}}))["spec"]["containers"][0]
    assert ctr["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}


def test_env_field_refs_default_to_api_version_v1():
    env = [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    ctr = defaulted(kinds.POD, pod_with(env=env))["spec"]["containers"][0]
    assert ctr["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "metadata.name"}


def test_tolerations_get_no_defaults():
    wire = copy.deepcopy(BARE_POD)
    wire["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    assert defaulted(kinds.POD, wire)["spec"]["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]


# --- resources


def test_requests_default_to_limits_when_only_limits_are_set():
    ctr = defaulted(kinds.POD, pod_with(resources={"limits": {"cpu": "1", "memory": "128Mi"}}))["spec"]["containers"][0]
    assert ctr["resources"]["requests"] == {"cpu": "1", "memory": "128Mi"}


def test_a_request_that_is_set_is_kept_and_only_missing_ones_come_from_limits():
    resources = {"limits": {"cpu": "1", "memory": "128Mi"}, "requests": {"cpu": "250m"}}
    ctr = defaulted(kinds.POD, pod_with(resources=resources))["spec"]["containers"][0]
    assert ctr["resources"]["requests"] == {"cpu": "250m", "memory": "128Mi"}


@pytest.mark.parametrize(("given", "stored"), [("0.5", "500m"), ("1024Mi", "1Gi"), (2, "2"), ("1e3", "1e3"),
                                               ("1.5Gi", "1536Mi")])
def test_quantities_are_stored_in_canonical_form(given, stored):
    ctr = defaulted(kinds.POD, pod_with(resources={"requests": {"cpu": given}}))["spec"]["containers"][0]
    assert ctr["resources"]["requests"]["cpu"] == stored


def test_a_quantity_that_does_not_parse_is_left_for_validation_to_report():
    ctr = defaulted(kinds.POD, pod_with(resources={"limits": {"cpu": "lots"}}))["spec"]["containers"][0]
    assert ctr["resources"]["limits"]["cpu"] == "lots"


# --- volumes


@pytest.mark.parametrize(("volume", "expected"), [
    ({}, {"emptyDir": {}}),
    ({"emptyDir": {}}, {"emptyDir": {}}),
    ({"emptyDir": {"sizeLimit": "1024Mi"}}, {"emptyDir": {"sizeLimit": "1Gi"}}),
    ({"hostPath": {"path": "/var/log"}}, {"hostPath": {"path": "/var/log", "type": ""}}),
    ({"configMap": {"name": "conf"}}, {"configMap": {"name": "conf", "defaultMode": 420}}),
    ({"secret": {"secretName": "tls"}}, {"secret": {"secretName": "tls", "defaultMode": 420}}),
    ({"secret": {"secretName": "tls", "defaultMode": 256}}, {"secret": {"secretName": "tls", "defaultMode": 256}}),
    ({"downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
     {"downwardAPI": {"defaultMode": 420,
                      "items": [{"path": "name", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}]}}),
], ids=["no_source_is_an_empty_dir", "empty_dir_stays", "empty_dir_size_is_canonical", "host_path_type_is_empty",
        "config_map_mode_is_0644", "secret_mode_is_0644", "explicit_mode_is_kept", "downward_api_mode_and_field_ref"])
def test_volume_defaults(volume, expected):
    stored = defaulted(kinds.POD, pod_with_volume(volume))["spec"]["volumes"][0]
    assert stored == {"name": "data", **expected}


# --- pod-only defaults


def test_host_network_pods_get_host_ports_equal_to_container_ports():
    wire = pod_with(ports=[{"containerPort": 8080}])
    wire["spec"]["hostNetwork"] = True
    assert defaulted(kinds.POD, wire)["spec"]["containers"][0]["ports"][0]["hostPort"] == 8080


# --- explicit values


def test_explicit_pod_values_are_never_overwritten():
    explicit = {
        "metadata": {"name": "web"},
        "spec": {
            "restartPolicy": "Never", "terminationGracePeriodSeconds": 0, "dnsPolicy": "Default",
            "schedulerName": "my-scheduler", "securityContext": {"runAsUser": 1000}, "enableServiceLinks": False,
            "containers": [{
                "name": "app", "image": "nginx", "imagePullPolicy": "Never",
                "terminationMessagePath": "/tmp/msg", "terminationMessagePolicy": "FallbackToLogsOnError",
                "ports": [{"containerPort": 53, "protocol": "UDP"}],
                "livenessProbe": {"httpGet": {"port": 80, "path": "/healthz", "scheme": "HTTPS"}, "timeoutSeconds": 5,
                                  "periodSeconds": 20, "successThreshold": 1, "failureThreshold": 7},
                "env": [{"name": "X", "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}}}],
                "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}},
            }],
            "volumes": [{"name": "conf", "configMap": {"name": "c", "defaultMode": 256}},
                        {"name": "logs", "hostPath": {"path": "/var/log", "type": "Directory"}}],
        },
    }
    assert defaulted(kinds.POD, explicit) == {**explicit, "apiVersion": "v1", "kind": "Pod"}


def test_explicit_deployment_values_are_never_overwritten():
    wire = template(replicas=0, revisionHistoryLimit=0, progressDeadlineSeconds=60,
                    strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}})
    spec = defaulted(kinds.DEPLOYMENT, wire)["spec"]
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (0, 0, 60)
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}


# --- controllers


def test_a_deployment_gets_replicas_strategy_history_and_deadline_defaults():
    spec = defaulted(kinds.DEPLOYMENT, template())["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600


def test_a_recreate_deployment_gets_no_rolling_update_parameters():
    spec = defaulted(kinds.DEPLOYMENT, template(strategy={"type": "Recreate"}))["spec"]
    assert spec["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("rt", [kinds.DEPLOYMENT, kinds.REPLICASET, kinds.DAEMONSET], ids=lambda rt: rt.kind)
def test_a_controllers_template_pod_spec_is_defaulted(rt):
    spec = defaulted(rt, template())["spec"]["template"]["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["schedulerName"]) == ("Always", "ClusterFirst",
                                                                                 "default-scheduler")
    assert spec["terminationGracePeriodSeconds"] == 30 and spec["securityContext"] == {}
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    assert spec["containers"][0]["terminationMessagePath"] == "/dev/termination-log"


def test_pod_only_defaults_stay_out_of_templates_as_in_kubernetes():
    # Kubernetes keeps these in SetDefaults_Pod so that new defaults never change a template's hash.
    pod_spec = {"containers": [{"name": "app", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]}
    spec = defaulted(kinds.DEPLOYMENT, template(pod_spec))["spec"]["template"]["spec"]
    assert "enableServiceLinks" not in spec
    assert "requests" not in spec["containers"][0]["resources"]


def test_a_replica_set_defaults_to_one_replica():
    assert defaulted(kinds.REPLICASET, template())["spec"]["replicas"] == 1


def test_a_daemon_set_gets_a_rolling_update_of_one_unavailable_and_no_surge():
    spec = defaulted(kinds.DAEMONSET, template())["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10


def test_an_on_delete_daemon_set_gets_no_rolling_update_parameters():
    spec = defaulted(kinds.DAEMONSET, template(updateStrategy={"type": "OnDelete"}))["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"}


@pytest.mark.parametrize(("rt", "wire"), [
    (kinds.NAMESPACE, {"metadata": {"name": "team-a"}}),
    (kinds.NODE, {"metadata": {"name": "node-1"}, "status": {"capacity": {"cpu": "4"}}}),
    (kinds.EVENT, {"metadata": {"name": "web.1"}, "involvedObject": {"kind": "Pod", "name": "web"}}),
    (kinds.LEASE, {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1"}}),
], ids=lambda value: value.kind if isinstance(value, ResourceType) else "")
def test_kinds_without_defaults_are_left_as_sent(rt, wire):
    before = model_for(rt).model_validate(copy.deepcopy(wire)).to_wire()
    assert defaulted(rt, wire) == before
