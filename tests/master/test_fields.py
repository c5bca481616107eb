"""Field selectors accept the field labels kube-apiserver accepts, per kind, and match object JSON."""

from __future__ import annotations

import pytest

from master.api.fields import FieldSelectorError, parse_field_selector, selectable_fields

UNBOUND_POD = {
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"containers": [{"name": "c", "image": "nginx"}], "restartPolicy": "Always"},
    "status": {"phase": "Pending"},
}
RUNNING_POD = {
    "metadata": {"name": "web-2", "namespace": "default"},
    "spec": {
        "nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "serviceAccountName": "default", "hostNetwork": True,
    },
    "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]},
}
SUCCEEDED_POD = {
    "metadata": {"name": "job-1", "namespace": "batch"},
    "spec": {"nodeName": "node-1"},
    "status": {"phase": "Succeeded"},
}
NODE_EVENT = {
    "metadata": {"name": "node-1.17a", "namespace": "default"},
    "involvedObject": {"kind": "Node", "name": "node-1", "uid": "node-1"},
    "reason": "NodeReady",
    "source": {"component": "kubelet", "host": "node-1"},
    "type": "Normal",
}
POD_EVENT = {
    "metadata": {"name": "web-2.17b", "namespace": "default"},
    "involvedObject": {
        "kind": "Pod", "namespace": "default", "name": "web-2", "uid": "u-2", "apiVersion": "v1",
        "resourceVersion": "7", "fieldPath": "spec.containers{c}",
    },
    "reason": "Pulled",
    "reportingComponent": "kubelet",
    "type": "Normal",
}


@pytest.mark.parametrize(
    ("kind", "selector", "obj", "selected"),
    [
        ("Pod", "", UNBOUND_POD, True),
        # kube-scheduler's query for pods still to place.
        ("Pod", "spec.nodeName=", UNBOUND_POD, True),
        ("Pod", "spec.nodeName=", RUNNING_POD, False),
        ("Pod", "spec.nodeName==node-1", RUNNING_POD, True),
        # kubectl describe node's query for the pods on a node.
        ("Pod", "spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed", RUNNING_POD, True),
        ("Pod", "spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed", SUCCEEDED_POD, False),
        ("Pod", "metadata.name=web-1", UNBOUND_POD, True),
        ("Pod", "metadata.name=web-1", RUNNING_POD, False),
        ("Pod", "metadata.namespace=batch", SUCCEEDED_POD, True),
        ("Pod", "spec.hostNetwork=true", RUNNING_POD, True),
        ("Pod", "spec.hostNetwork=false", UNBOUND_POD, True),
        ("Pod", "status.podIP=10.0.0.5", RUNNING_POD, True),
        ("Pod", "spec.restartPolicy=Always,spec.schedulerName=default-scheduler", RUNNING_POD, True),
        ("Pod", "spec.serviceAccountName=default", RUNNING_POD, True),
        ("Pod", "spec.host=node-1", RUNNING_POD, True),
        ("Pod", "status.nominatedNodeName=", RUNNING_POD, True),
        # kubectl describe node's query for the node's events: empty namespace, name used as uid.
        ("Event", "involvedObject.name=node-1,involvedObject.namespace=,involvedObject.kind=Node,"
                  "involvedObject.uid=node-1", NODE_EVENT, True),
        ("Event", "involvedObject.name=web-2,involvedObject.namespace=default,involvedObject.uid=u-2",
         POD_EVENT, True),
        ("Event", "involvedObject.name=web-2,involvedObject.namespace=default,involvedObject.uid=u-3",
         POD_EVENT, False),
        ("Event", "involvedObject.fieldPath=spec.containers{c},involvedObject.apiVersion=v1", POD_EVENT, True),
        ("Event", "involvedObject.resourceVersion=7,reason=Pulled,type=Normal", POD_EVENT, True),
        ("Event", "source=kubelet", NODE_EVENT, True),
        # An event with no source.component is matched on reportingComponent instead.
        ("Event", "source=kubelet,reportingComponent=kubelet", POD_EVENT, True),
        ("Node", "spec.unschedulable=false", {"metadata": {"name": "n"}, "spec": {}}, True),
        ("Node", "spec.unschedulable=true", {"metadata": {"name": "n"}, "spec": {"unschedulable": True}}, True),
        ("Namespace", "status.phase=Active", {"metadata": {"name": "ns"}, "status": {"phase": "Active"}}, True),
        ("ReplicaSet", "status.replicas=3", {"metadata": {"name": "rs"}, "status": {"replicas": 3}}, True),
        ("ReplicaSet", "status.replicas=0", {"metadata": {"name": "rs"}, "status": {}}, True),
        ("Deployment", "metadata.name=web,metadata.namespace=default",
         {"metadata": {"name": "web", "namespace": "default"}}, True),
        ("Lease", "metadata.name=node-1", {"metadata": {"name": "node-2"}}, False),
    ],
)
def test_a_field_selector_matches_the_object_json(kind: str, selector: str, obj: dict, selected: bool) -> None:
    assert parse_field_selector(selector, kind).matches(obj) is selected


def test_escaped_commas_and_equals_are_part_of_the_value() -> None:
    selector = parse_field_selector(r"metadata.name=a\,b\=c\\d", "Pod")
    assert selector.requirements[0].value == "a,b=c\\d"
    assert selector.matches({"metadata": {"name": "a,b=c\\d"}})
    assert str(selector) == r"metadata.name=a\,b\=c\\d"


def test_the_exact_name_a_selector_requires_can_be_read_back() -> None:
    selector = parse_field_selector("metadata.name=web-1,status.phase!=Failed", "Pod")
    assert selector.requires_exact_match("metadata.name") == "web-1"
    assert selector.requires_exact_match("status.phase") is None


@pytest.mark.parametrize(
    ("kind", "selector", "message"),
    [
        ("Pod", "spec.foo=bar", "field label not supported: spec.foo"),
        ("Pod", "spec.nodeName =x", "field label not supported: spec.nodeName "),
        ("Event", "involvedObject.foo=x", "field label not supported: involvedObject.foo"),
        # Cluster-scoped kinds: the apiserver refuses metadata.namespace outright.
        ("Node", "metadata.namespace=", "field label not supported: metadata.namespace"),
        ("Namespace", "metadata.namespace=", "field label not supported: metadata.namespace"),
        ("Node", "status.phase=Ready", "field label not supported: status.phase"),
        ("ReplicaSet", "spec.replicas=1", "field label not supported: spec.replicas"),
        # Kinds without their own conversion get the generic refusal.
        ("Deployment", "spec.replicas=1",
         '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
        ("DaemonSet", "status.numberReady=1",
         '"status.numberReady" is not a known field selector: only "metadata.name", "metadata.namespace"'),
        ("Lease", "spec.holderIdentity=n",
         '"spec.holderIdentity" is not a known field selector: only "metadata.name", "metadata.namespace"'),
        ("Pod", "metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ("Pod", "a=b,junk", "invalid selector: 'a=b,junk'; can't understand 'junk'"),
        ("Pod", r"metadata.name=a\b", "invalid field selector: invalid escape sequence: \\b"),
        ("Pod", "metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
        ("Pod", "metadata.name==a=b", "invalid field selector: unescaped character in value: 61"),
    ],
)
def test_an_unsupported_or_malformed_selector_is_refused_with_the_apiserver_message(
    kind: str, selector: str, message: str
) -> None:
    with pytest.raises(FieldSelectorError) as caught:
        parse_field_selector(selector, kind)
    assert str(caught.value) == message


def test_a_field_selector_error_is_a_value_error() -> None:
    assert issubclass(FieldSelectorError, ValueError)


def test_empty_terms_are_ignored() -> None:
    assert parse_field_selector(",metadata.name=a,", "Pod").matches({"metadata": {"name": "a"}})


def test_cluster_scoped_objects_have_no_namespace_field() -> None:
    assert "metadata.namespace" not in selectable_fields("Node", {"metadata": {"name": "n"}})
    assert selectable_fields("Pod", {"metadata": {"name": "p"}})["metadata.namespace"] == ""


def test_a_pod_ip_is_read_from_pod_ips_first() -> None:
    pod = {"metadata": {}, "status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}]}}
    assert selectable_fields("Pod", pod)["status.podIP"] == "fd00::1"
