"""Services, Endpoints and EndpointSlices are refused as kube-apiserver 1.32 refuses them, field paths and words
included: each case runs defaulting and the strategy first, then validation, as the registry does."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from master.api.defaults import apply_defaults
from master.api.strategy import prepare_for_create, prepare_for_update
from master.api.validation import validate
from objects import kinds
from objects.endpoints import Endpoints, EndpointSlice
from objects.service import Service

ALLOCATED = {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"], "ipFamilies": ["IPv4"],
             "ipFamilyPolicy": "SingleStack"}


def valid_service(**spec: Any) -> dict[str, Any]:
    """A Service as the allocator hands it to validation: with its address and families."""
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {**ALLOCATED, "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}], **spec}}


def messages(body: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    service = Service.model_validate(body)
    apply_defaults(kinds.SERVICE, service)
    previous = None
    if old is not None:
        previous = Service.model_validate(old)
        apply_defaults(kinds.SERVICE, previous)
        prepare_for_update(kinds.SERVICE, service, previous)
    else:
        prepare_for_create(kinds.SERVICE, service, now="2024-01-01T00:00:00Z")
    return [c["message"] for c in validate(kinds.SERVICE, service, previous)]


def test_a_defaulted_service_is_valid_and_carries_kubernetes_defaults():
    service = Service.model_validate(valid_service(type=None))
    apply_defaults(kinds.SERVICE, service)
    spec = service.spec.to_wire()
    assert (spec["type"], spec["sessionAffinity"], spec["internalTrafficPolicy"]) == ("ClusterIP", "None", "Cluster")
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert "externalTrafficPolicy" not in spec
    assert messages(valid_service()) == []


def test_a_target_port_defaults_to_the_port_and_a_node_port_service_to_cluster_traffic():
    service = Service.model_validate(valid_service(type="NodePort", ports=[{"port": 8080}]))
    apply_defaults(kinds.SERVICE, service)
    assert service.spec.ports[0].target_port == 8080
    assert service.spec.external_traffic_policy == "Cluster"


def port(**fields: Any) -> dict[str, Any]:
    return {"port": 80, **fields}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"ports": []}, ["spec.ports: Required value"]),
    ({"ports": [port(port=70000)]},
     ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
      "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]),
    ({"ports": [port(name="a"), port(name="b", port=81, protocol="ICMP")]},
     ['spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']),
    ({"ports": [port(), port(port=81)]}, ["spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]),
    ({"ports": [port(name="http"), port(name="http", port=81)]}, ['spec.ports[1].name: Duplicate value: "http"']),
    ({"ports": [port(name="a"), port(name="b")]},
     ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
      'Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}']),
    ({"ports": [port(name="a"), port(name="b", protocol="UDP")]}, []),
    ({"ports": [port(targetPort="http_2")]},
     ['spec.ports[0].targetPort: Invalid value: "http_2": must contain only alpha-numeric characters (a-z, 0-9), '
      'and hyphens (-)']),
    ({"ports": [port(nodePort=30080)]},
     ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]),
    ({"type": "Balanced"},
     ['spec.type: Unsupported value: "Balanced": supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
      '"NodePort"']),
    ({"selector": {"app": "web page"}},
     ["spec.selector: Invalid value: \"web page\": a valid label must be an empty string or consist of alphanumeric "
      "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]),
    ({"sessionAffinity": "Sticky"},
     ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']),
    ({"clusterIP": "10.96.0.300", "clusterIPs": ["10.96.0.300"]},
     ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or '
      '2001:db8::ffff)']),
    ({"clusterIPs": ["10.96.0.21"]},
     ['spec.clusterIPs: Invalid value: []string{"10.96.0.21"}: first value must match `clusterIP`']),
    ({"externalIPs": ["127.0.0.1"]},
     ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']),
    ({"internalTrafficPolicy": "Nearby"},
     ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']),
    ({"externalTrafficPolicy": "Local"},
     ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']),
])
def test_service_rules(spec, expected):
    assert messages(valid_service(**spec)) == expected


def test_a_service_name_is_a_dns_1035_label():
    body = valid_service()
    body["metadata"]["name"] = "1web"
    assert messages(body) == [
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters '
        "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]


def test_headless_and_external_name_services_need_no_ports():
    headless = valid_service(clusterIP="None", clusterIPs=["None"], ports=[])
    assert messages(headless) == []
    external = {"metadata": {"name": "db", "namespace": "default"},
                "spec": {"type": "ExternalName", "externalName": "db.example.com."}}
    assert messages(external) == []
    assert messages({**external, "spec": {"type": "ExternalName"}}) == ["spec.externalName: Required value"]


def test_a_node_port_service_cannot_be_headless():
    body = valid_service(type="NodePort", clusterIP="None", clusterIPs=["None"])
    assert messages(body) == ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
                              "services"]


def test_a_service_keeps_its_cluster_ip():
    old = valid_service()
    moved = valid_service(clusterIP="10.96.0.99")
    del moved["spec"]["clusterIPs"]  # as a client that only knows clusterIP sends it
    assert messages(moved, old=old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set']


def test_an_update_that_leaves_the_cluster_ip_out_keeps_it():
    update = valid_service()
    for key in ALLOCATED:
        del update["spec"][key]
    assert messages(update, old=valid_service()) == []


def test_a_health_check_node_port_is_only_for_local_load_balancers():
    body = valid_service(type="NodePort", healthCheckNodePort=30100)
    assert messages(body) == ["spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is "
                              "'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]


# --- Endpoints and EndpointSlices


def endpoints_messages(body: dict[str, Any]) -> list[str]:
    endpoints = Endpoints.model_validate({"metadata": {"name": "web", "namespace": "default"}, **body})
    apply_defaults(kinds.ENDPOINTS, endpoints)
    return [c["message"] for c in validate(kinds.ENDPOINTS, endpoints, None)]


def test_endpoints_rules():
    assert endpoints_messages({"subsets": [{"addresses": [{"ip": "10.0.0.5"}], "ports": [{"port": 8080}]}]}) == []
    assert endpoints_messages({"subsets": [{"ports": [{"port": 80}]}]}) == [
        "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]
    assert endpoints_messages({"subsets": [{"addresses": [{"ip": "127.0.0.1"}, {"ip": "x"}],
                                            "ports": [{"port": 80}, {"port": 0, "name": "b"}]}]}) == [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, '
        '::1/128)',
        'subsets[0].addresses[1].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or '
        '2001:db8::ffff)',
        'subsets[0].addresses[1].ip: Invalid value: "x": must be a valid IP address',
        "subsets[0].ports[0].name: Required value",
        "subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]


def slice_messages(body: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    def typed(wire: dict[str, Any]) -> EndpointSlice:
        endpoint_slice = EndpointSlice.model_validate({"metadata": {"name": "web-x", "namespace": "default"}, **wire})
        apply_defaults(kinds.ENDPOINT_SLICE, endpoint_slice)
        return endpoint_slice

    return [c["message"] for c in validate(kinds.ENDPOINT_SLICE, typed(body), typed(old) if old else None)]


def test_endpoint_slice_rules():
    good = {"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "port": 8080}]}
    assert slice_messages(good) == []
    assert slice_messages({**good, "addressType": "IPX"}) == [
        'addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"']
    bad_address = copy.deepcopy(good)
    bad_address["endpoints"] = [{"addresses": ["fd00::1"]}, {"addresses": []}]
    assert slice_messages(bad_address) == ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 '
                                           'address',
                                           "endpoints[1].addresses: Required value: must contain at least 1 address"]
    twice = {**good, "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}
    assert slice_messages(twice) == ['ports[1].name: Duplicate value: "http"']
    assert slice_messages({**good, "addressType": "IPv6", "endpoints": []}, old=good) == [
        'addressType: Invalid value: "IPv6": field is immutable']
