"""Patch semantics, checked against the patches the real kubectl 1.32 sent (KUBERNETES_API.md §8)."""

import copy
import re

import pytest

from master.patch import PatchError, apply_json_patch, apply_merge_patch, apply_strategic_merge_patch


def live_pod() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "applied", "labels": {"app": "web"}, "finalizers": ["a.io/one"]},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                },
                {"name": "sidecar", "image": "busybox", "command": ["sleep", "inf"]},
            ],
            "tolerations": [{"key": "a", "operator": "Exists"}],
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}],
        },
    }


def live_deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "spec": {
                    "containers": [{"name": "app", "image": "nginx"}],
                    "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}],
                }
            },
        },
    }


# The exact patches kubectl apply sent (KUBERNETES_API.md §8).
KUBECTL_POD_PATCH = {
    "spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [
            {
                "$setElementOrder/env": [{"name": "A"}],
                "env": [{"$patch": "delete", "name": "B"}],
                "image": "nginx:1.26",
                "name": "app",
            },
            {"$patch": "delete", "name": "sidecar"},
        ],
    }
}
KUBECTL_DEPLOYMENT_PATCH = {
    "spec": {
        "replicas": 3,
        "strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"},
        "template": {
            "spec": {
                "volumes": [
                    {
                        "$retainKeys": ["hostPath", "name"],
                        "emptyDir": None,
                        "hostPath": {"path": "/srv/data"},
                        "name": "data",
                    }
                ]
            }
        },
    }
}

APP_AFTER_KUBECTL_PATCH = {
    "name": "app",
    "image": "nginx:1.26",
    "env": [{"name": "A", "value": "1"}],
    "ports": [{"containerPort": 80, "protocol": "TCP"}],
    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
}


def containers(obj: dict) -> list:
    return obj["spec"]["containers"]


def names(obj: dict) -> list:
    return [container["name"] for container in containers(obj)]


def app(obj: dict) -> dict:
    return containers(obj)[0]


def labels(obj: dict) -> dict:
    return obj["metadata"]["labels"]


def finalizers(obj: dict) -> list:
    return obj["metadata"]["finalizers"]


def volumes(obj: dict) -> list:
    return obj["spec"]["template"]["spec"]["volumes"]


def with_finalizers(*values: str) -> dict:
    return {"metadata": {"finalizers": list(values)}}


def with_containers(*container_names: str) -> dict:
    return {"spec": {"containers": [{"name": name} for name in container_names]}}


def patch_containers(*patched: dict) -> dict:
    return {"spec": {"containers": list(patched)}}


def patch_app(**fields) -> dict:
    return patch_containers({"name": "app", **fields})


# Each case: the live object, the patch, what to look at in the result, and what it must be.
STRATEGIC_CASES = [
    pytest.param(
        live_pod(), {"metadata": {"labels": {"app": None, "tier": "db"}}},
        labels, {"tier": "db"},
        id="null_deletes_a_key_and_maps_merge_key_by_key",
    ),
    pytest.param(
        live_pod(), {"metadata": {"annotations": {"gone": None}}},
        lambda o: o["metadata"]["annotations"], {},
        id="null_for_a_key_that_is_not_there_is_dropped",
    ),
    pytest.param(
        live_pod(), KUBECTL_POD_PATCH,
        containers, [APP_AFTER_KUBECTL_PATCH],
        id="kubectl_patch_deletes_a_container_and_an_env_entry_and_keeps_ports",
    ),
    pytest.param(
        live_pod(), patch_containers({"name": "sidecar", "image": "busybox:2"}),
        lambda o: [(c["name"], c["image"]) for c in containers(o)],
        [("app", "nginx:1.25"), ("sidecar", "busybox:2")],
        id="containers_merge_by_name_and_keep_the_others",
    ),
    pytest.param(
        live_pod(), patch_containers({"name": "new", "image": "redis"}),
        names, ["new", "app", "sidecar"],
        id="a_container_with_a_new_name_is_added_first_as_in_kubernetes",
    ),
    pytest.param(
        live_pod(), patch_app(ports=[{"containerPort": 80, "name": "http"}, {"containerPort": 443}]),
        lambda o: app(o)["ports"],
        [{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}],
        id="ports_merge_by_container_port",
    ),
    pytest.param(
        live_pod(), patch_app(volumeMounts=[{"mountPath": "/data", "readOnly": True}]),
        lambda o: app(o)["volumeMounts"], [{"name": "data", "mountPath": "/data", "readOnly": True}],
        id="volume_mounts_merge_by_mount_path",
    ),
    pytest.param(
        live_pod(), {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        lambda o: o["status"]["conditions"],
        [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
        id="conditions_merge_by_type",
    ),
    pytest.param(
        {"metadata": {"ownerReferences": [{"uid": "1", "name": "rs-a"}, {"uid": "2", "name": "rs-b"}]}},
        {"metadata": {"ownerReferences": [{"uid": "2", "controller": True}]}},
        lambda o: o["metadata"]["ownerReferences"],
        [{"uid": "1", "name": "rs-a"}, {"uid": "2", "name": "rs-b", "controller": True}],
        id="owner_references_merge_by_uid",
    ),
    pytest.param(
        live_pod(), {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}},
        lambda o: o["spec"]["tolerations"], [{"key": "b", "operator": "Exists"}],
        id="tolerations_are_replaced_atomically",
    ),
    pytest.param(
        {"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}},
        {"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}},
        lambda o: o["spec"]["taints"], [{"key": "b", "effect": "NoExecute"}],
        id="node_taints_are_replaced_atomically_as_in_kubernetes",
    ),
    pytest.param(
        live_pod(), patch_containers({"name": "sidecar", "command": ["true"]}),
        lambda o: containers(o)[1]["command"], ["true"],
        id="command_is_replaced_atomically",
    ),
    pytest.param(
        live_pod(), with_finalizers("b.io/two", "a.io/one"),
        finalizers, ["b.io/two", "a.io/one"],
        id="finalizers_take_the_union_in_patch_order",
    ),
    pytest.param(
        live_pod(), with_finalizers("b.io/two"),
        finalizers, ["b.io/two", "a.io/one"],
        id="finalizers_union_puts_new_values_first_as_in_kubernetes",
    ),
    pytest.param(
        with_finalizers("b", "c", "a"), with_finalizers("a", "b", "d"),
        finalizers, ["c", "a", "b", "d"],
        id="a_live_value_comes_before_patched_values_it_preceded_live",
    ),
    pytest.param(
        with_finalizers("a", "b", "c"), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}},
        finalizers, ["a", "c"],
        id="delete_from_primitive_list_removes_only_those_values",
    ),
    pytest.param(
        {"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}},
        lambda o: o["metadata"], {},
        id="delete_from_primitive_list_of_a_missing_list_does_nothing",
    ),
    pytest.param(
        # The example of the Kubernetes design proposal "preserve order in strategic merge patch".
        with_finalizers("b", "e", "a", "c", "d"),
        {"metadata": {"$setElementOrder/finalizers": ["a", "b", "f"],
                      "$deleteFromPrimitiveList/finalizers": ["c"],
                      "finalizers": ["f"]}},
        finalizers, ["e", "a", "b", "f", "d"],
        id="kubectl_finalizer_patch_adds_deletes_and_orders_in_one_go",
    ),
    pytest.param(
        live_pod(), patch_app(env=[{"name": "A", "$patch": "delete"}]),
        lambda o: app(o)["env"], [{"name": "B", "value": "2"}],
        id="patch_delete_removes_an_env_entry_by_name",
    ),
    pytest.param(
        live_pod(), patch_app(env=[{"$patch": "replace"}, {"name": "C", "value": "3"}]),
        lambda o: app(o)["env"], [{"name": "C", "value": "3"}],
        id="patch_replace_element_replaces_the_whole_list",
    ),
    pytest.param(
        live_pod(), {"metadata": {"labels": {"$patch": "replace", "only": "this"}}},
        labels, {"only": "this"},
        id="patch_replace_on_a_map_replaces_it",
    ),
    pytest.param(
        live_pod(), {"metadata": {"labels": {"$patch": "delete"}}},
        labels, {},
        id="patch_delete_on_a_map_empties_it_as_in_kubernetes",
    ),
    pytest.param(
        live_pod(), {"metadata": {"labels": {"$patch": "merge", "tier": "db"}}},
        labels, {"app": "web", "tier": "db"},
        id="patch_merge_on_a_map_is_the_default_merge",
    ),
    pytest.param(
        live_pod(),
        {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
                  "containers": [{"name": "app", "image": "nginx:1.26"}]}},
        names, ["sidecar", "app"],
        id="set_element_order_reorders_a_merged_list",
    ),
    pytest.param(
        live_pod(),
        {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}},
        names, ["sidecar", "app"],
        id="set_element_order_alone_reorders_the_live_list",
    ),
    pytest.param(
        with_containers("a", "b", "c"),
        {"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}]}},
        names, ["b", "c", "a"],
        id="set_element_order_keeps_an_unnamed_element_before_its_later_live_neighbours",
    ),
    pytest.param(
        with_finalizers("a", "b"), {"metadata": {"$setElementOrder/finalizers": ["b", "a"]}},
        finalizers, ["b", "a"],
        id="set_element_order_reorders_a_primitive_merge_list",
    ),
    pytest.param(
        with_containers("a", "b", "c"),
        patch_containers({"name": "c", "image": "x"}, {"name": "a", "image": "y"}),
        names, ["b", "c", "a"],
        id="patched_elements_take_the_patch_order_like_kubernetes",
    ),
    pytest.param(
        live_deployment(), KUBECTL_DEPLOYMENT_PATCH,
        lambda o: (o["spec"]["replicas"], o["spec"]["strategy"]), (3, {"type": "Recreate"}),
        id="kubectl_patch_switches_deployment_strategy_with_retain_keys",
    ),
    pytest.param(
        live_deployment(), KUBECTL_DEPLOYMENT_PATCH,
        volumes, [{"name": "data", "hostPath": {"path": "/srv/data"}}, {"name": "cache", "emptyDir": {}}],
        id="kubectl_patch_switches_volume_source_with_retain_keys",
    ),
    pytest.param(
        live_pod(),
        patch_containers({"name": "new", "$setElementOrder/env": [{"name": "X"}],
                          "env": [{"name": "X", "value": "1", "extra": None}]}),
        app, {"name": "new", "env": [{"name": "X", "value": "1"}]},
        id="a_new_element_is_stored_without_directives_or_nulls",
    ),
    pytest.param(
        {"spec": {"nodeSelector": "oops"}}, {"spec": {"nodeSelector": {"disk": "ssd"}}},
        lambda o: o["spec"]["nodeSelector"], {"disk": "ssd"},
        id="a_value_of_another_type_replaces_the_live_one",
    ),
]


@pytest.mark.parametrize("original, patch, look_at, expected", STRATEGIC_CASES)
def test_strategic_merge_patch(original, patch, look_at, expected):
    assert look_at(apply_strategic_merge_patch(original, patch)) == expected


def test_kubectl_pod_patch_leaves_the_rest_of_the_pod_alone():
    patched = apply_strategic_merge_patch(live_pod(), KUBECTL_POD_PATCH)

    expected = live_pod()
    expected["spec"]["containers"] = [APP_AFTER_KUBECTL_PATCH]
    assert patched == expected


@pytest.mark.parametrize("patch", [KUBECTL_POD_PATCH, KUBECTL_DEPLOYMENT_PATCH], ids=["pod", "deployment"])
def test_reapplying_a_kubectl_patch_changes_nothing(patch):
    # Guards the bug in §8: with merge-patch semantics re-apply never converged.
    original = live_deployment() if "replicas" in patch["spec"] else live_pod()
    once = apply_strategic_merge_patch(original, patch)
    assert apply_strategic_merge_patch(once, patch) == once


# Each case: the live object, the malformed patch, and words the error must contain.
STRATEGIC_ERRORS = [
    pytest.param(
        live_pod(), patch_containers({"image": "x"}),
        "does not contain declared merge key: name",
        id="a_list_element_without_its_merge_key_is_refused",
    ),
    pytest.param(
        live_pod(), patch_containers({"$patch": "delete"}),
        "does not contain declared merge key: name",
        id="a_delete_element_without_its_merge_key_is_refused",
    ),
    pytest.param(
        live_pod(), {"spec": {"containers": ["app"]}},
        "must be objects",
        id="a_keyed_list_of_strings_is_refused",
    ),
    pytest.param(
        live_pod(), {"metadata": {"$patch": "explode"}},
        "unknown patch type",
        id="an_unknown_map_directive_is_refused",
    ),
    pytest.param(
        live_pod(), patch_app(**{"$patch": "explode"}),
        "unknown patch type",
        id="an_unknown_list_element_directive_is_refused",
    ),
    pytest.param(
        live_deployment(), {"spec": {"strategy": {"$retainKeys": "type"}}},
        "invalid patch format of retainKeys",
        id="retain_keys_that_is_not_a_list_is_refused",
    ),
    pytest.param(
        live_deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}},
        "invalid patch format of retainKeys",
        id="setting_a_key_outside_retain_keys_is_refused",
    ),
    pytest.param(
        live_pod(), {"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}},
        "invalid patch format of primitive list",
        id="delete_from_primitive_list_that_is_not_a_list_is_refused",
    ),
    pytest.param(
        live_pod(), {"spec": {"$setElementOrder/containers": {"name": "app"}}},
        "invalid patch format of setElementOrder",
        id="set_element_order_that_is_not_a_list_is_refused",
    ),
    pytest.param(
        live_pod(),
        {"spec": {"$setElementOrder/containers": [{"name": "app"}],
                  "containers": [{"name": "sidecar", "image": "x"}]}},
        "doesn't match $setElementOrder/containers",
        id="set_element_order_that_omits_a_patched_element_is_refused",
    ),
    pytest.param(
        live_pod(), ["not", "an", "object"],
        "must be a JSON object",
        id="a_patch_that_is_not_an_object_is_refused",
    ),
]


@pytest.mark.parametrize("original, patch, message", STRATEGIC_ERRORS)
def test_malformed_strategic_patch_is_a_patch_error(original, patch, message):
    with pytest.raises(PatchError, match=_literal(message)):
        apply_strategic_merge_patch(original, patch)


def test_patch_error_is_a_value_error():
    assert issubclass(PatchError, ValueError)


# Merge patch (RFC 7386): kubectl label / annotate / scale -------------------------------


MERGE_CASES = [
    pytest.param(
        {"metadata": {"labels": {"app": "web", "tier": "fe"}, "annotations": {"a": "1"}}},
        {"metadata": {"labels": {"tier": None, "env": "prod"}, "annotations": {"a": None}}},
        {"metadata": {"labels": {"app": "web", "env": "prod"}, "annotations": {}}},
        id="labels_and_annotations_merge_and_null_deletes",
    ),
    pytest.param(
        live_pod(), {"spec": {"containers": [{"name": "only"}]}},
        {**live_pod(), "spec": {**live_pod()["spec"], "containers": [{"name": "only"}]}},
        id="a_list_is_replaced_wholesale",
    ),
    pytest.param(
        {"spec": {"replicas": 1}}, {"spec": {"replicas": 5}}, {"spec": {"replicas": 5}},
        id="a_scalar_is_replaced",
    ),
    pytest.param(
        {"spec": "text"}, {"spec": {"replicas": 2, "paused": None}}, {"spec": {"replicas": 2}},
        id="an_object_patch_over_a_scalar_starts_from_empty",
    ),
]


@pytest.mark.parametrize("original, patch, expected", MERGE_CASES)
def test_merge_patch(original, patch, expected):
    assert apply_merge_patch(original, patch) == expected


def test_merge_patch_that_is_not_an_object_is_a_patch_error():
    with pytest.raises(PatchError, match="must be a JSON object"):
        apply_merge_patch({"a": 1}, [1, 2])


# JSON patch (RFC 6902): kubectl patch --type=json --------------------------------------


JSON_PATCH_CASES = [
    pytest.param(
        [{"op": "add", "path": "/metadata/labels/tier", "value": "db"}],
        labels, {"app": "web", "tier": "db"},
        id="add_sets_a_new_key",
    ),
    pytest.param(
        [{"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.27"}],
        lambda o: app(o)["image"], "nginx:1.27",
        id="replace_changes_a_list_element",
    ),
    pytest.param(
        [{"op": "remove", "path": "/spec/containers/1"}],
        names, ["app"],
        id="remove_deletes_a_list_element",
    ),
    pytest.param(
        [{"op": "test", "path": "/metadata/name", "value": "applied"},
         {"op": "add", "path": "/metadata/labels/ok", "value": "yes"}],
        lambda o: labels(o)["ok"], "yes",
        id="a_passing_test_lets_later_operations_apply",
    ),
]


@pytest.mark.parametrize("operations, look_at, expected", JSON_PATCH_CASES)
def test_json_patch(operations, look_at, expected):
    assert look_at(apply_json_patch(live_pod(), operations)) == expected


JSON_PATCH_ERRORS = [
    pytest.param(
        [{"op": "test", "path": "/metadata/name", "value": "other"}], "testing value /metadata/name failed",
        id="a_failing_test_is_refused",
    ),
    pytest.param(
        [{"op": "remove", "path": "/metadata/nope"}], "does not apply",
        id="removing_a_missing_path_is_refused",
    ),
    pytest.param(
        [{"op": "replace", "path": "/spec/nope/deeper", "value": 1}], "does not apply",
        id="replacing_under_a_missing_path_is_refused",
    ),
    pytest.param([{"op": "launch", "path": "/a"}], "does not apply", id="an_unknown_operation_is_refused"),
    pytest.param([{"op": "add", "path": "/a"}], "does not apply", id="an_add_without_a_value_is_refused"),
    pytest.param(["add"], "must be an object", id="an_operation_that_is_not_an_object_is_refused"),
    pytest.param(
        {"op": "add", "path": "/a", "value": 1}, "must be a list",
        id="a_patch_that_is_not_a_list_is_refused",
    ),
    pytest.param(
        [{"op": "replace", "path": "", "value": [1]}], "must leave a JSON object",
        id="replacing_the_whole_object_with_a_list_is_refused",
    ),
]


@pytest.mark.parametrize("operations, message", JSON_PATCH_ERRORS)
def test_malformed_json_patch_is_a_patch_error(operations, message):
    with pytest.raises(PatchError, match=_literal(message)):
        apply_json_patch(live_pod(), operations)


# Purity: the API server patches the object it read from the store ------------------------


PURITY_CASES = [
    pytest.param(apply_strategic_merge_patch, live_pod(), KUBECTL_POD_PATCH, id="strategic_pod"),
    pytest.param(
        apply_strategic_merge_patch, live_deployment(), KUBECTL_DEPLOYMENT_PATCH,
        id="strategic_deployment",
    ),
    pytest.param(
        apply_strategic_merge_patch, live_pod(),
        {"metadata": {"finalizers": ["x"], "labels": {"n": {"deep": 1}}}},
        id="strategic_new_values",
    ),
    pytest.param(
        apply_merge_patch, live_pod(), {"metadata": {"labels": {"app": None, "n": {"deep": 1}}}},
        id="merge",
    ),
    pytest.param(
        apply_json_patch, live_pod(), [{"op": "add", "path": "/metadata/extra", "value": {"deep": [1]}}],
        id="json",
    ),
]


@pytest.mark.parametrize("apply, original, patch", PURITY_CASES)
def test_patching_never_mutates_its_inputs(apply, original, patch):
    original_before, patch_before = copy.deepcopy(original), copy.deepcopy(patch)

    apply(original, patch)

    assert original == original_before
    assert patch == patch_before


@pytest.mark.parametrize("apply, original, patch", PURITY_CASES)
def test_the_result_shares_nothing_with_the_inputs(apply, original, patch):
    original_before, patch_before = copy.deepcopy(original), copy.deepcopy(patch)

    result = apply(original, patch)
    _scribble_over(result)

    assert original == original_before
    assert patch == patch_before


def _scribble_over(value: object) -> None:
    """Mutate every container inside value, so any sharing with an input shows."""
    if isinstance(value, dict):
        for child in value.values():
            _scribble_over(child)
        value["scribbled"] = True
    elif isinstance(value, list):
        for child in value:
            _scribble_over(child)
        value.append("scribbled")


def _literal(text: str) -> str:
    return re.escape(text)


# --- lists whose strategy depends on the kind


def test_a_services_ports_merge_by_port_as_kubectl_apply_sends_them():
    live = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080},
                               {"name": "metrics", "port": 9090, "targetPort": 9090}]}}
    patch = {"spec": {"$setElementOrder/ports": [{"port": 81}, {"port": 9090}],
                      "ports": [{"name": "http", "port": 81, "targetPort": 8081}, {"$patch": "delete", "port": 80}]}}
    assert apply_strategic_merge_patch(live, patch, kind="Service")["spec"]["ports"] == [
        {"name": "http", "port": 81, "targetPort": 8081}, {"name": "metrics", "port": 9090, "targetPort": 9090}]


@pytest.mark.parametrize("kind", ["Endpoints", "EndpointSlice"])
def test_endpoints_lists_are_replaced_whole(kind):
    # Guards against applying a pod's merge keys here: Endpoints' addresses have no `type`, and a slice's
    # addresses are strings.
    if kind == "Endpoints":
        live = {"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}
        patch = {"subsets": [{"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 81}]}]}
    else:
        live = {"endpoints": [{"addresses": ["10.0.0.1"]}], "ports": [{"port": 80}]}
        patch = {"endpoints": [{"addresses": ["10.0.0.2"]}], "ports": [{"port": 81}]}
    assert apply_strategic_merge_patch(live, patch, kind=kind) == patch
