"""Kubernetes protobuf request bodies: the decoder on hand-built bytes, then the real kubectl against a live master."""

from __future__ import annotations

import uuid

import pytest

from master.api.protobuf import MEDIA_TYPE, ProtobufError, decode_kubernetes_protobuf, schema, wire

# ----- a minimal encoder, so each test spells out the bytes it sends


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative numbers travel as 64-bit two's complement
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def num(number: int, value: int) -> bytes:
    return varint(number << 3 | wire.VARINT) + varint(value)


def msg(number: int, *parts: bytes | str) -> bytes:
    body = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return varint(number << 3 | wire.LEN) + varint(len(body)) + body


def entry(number: int, key: str, value: bytes | str) -> bytes:
    """One map entry, as protobuf sends map<string, V>."""
    return msg(number, msg(1, key), value if isinstance(value, bytes) else msg(2, value))


def envelope(api_version: str, kind: str, obj: bytes) -> bytes:
    return b"k8s\x00" + msg(1, msg(1, api_version), msg(2, kind)) + msg(2, obj)


# ----- the wire format


def test_a_varint_spans_bytes_low_bits_first():
    assert wire.read_varint(b"\xac\x02", 0) == (300, 2)


def test_a_negative_int32_is_read_from_its_sign_extended_varint():
    value, _ = wire.read_varint(varint(-5), 0)
    assert wire.signed(value, 32) == -5
    assert len(varint(-5)) == 10


def test_a_truncated_varint_is_an_error():
    with pytest.raises(wire.WireFormatError, match="truncated"):
        wire.read_varint(b"\x80\x80", 0)


def test_a_length_beyond_the_end_of_the_body_is_an_error():
    with pytest.raises(wire.WireFormatError, match="claims 9 bytes"):
        list(wire.records(b"\x0a\x09abc"))


# ----- messages to dicts


def test_namespace_takes_apiVersion_and_kind_from_the_envelope():
    body = envelope("v1", "Namespace", msg(1, msg(1, "zz"), entry(11, "team", "a"), entry(11, "tier", "")))
    assert decode_kubernetes_protobuf(body) == {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "zz", "labels": {"team": "a", "tier": ""}},
    }


def test_an_empty_time_is_null_as_in_kubectls_json():
    # Go writes the zero creationTimestamp as an empty message; its JSON says null.
    body = envelope("v1", "Namespace", msg(1, msg(1, "zz"), msg(8)))
    assert decode_kubernetes_protobuf(body)["metadata"] == {"name": "zz", "creationTimestamp": None}


def test_time_is_rfc3339_in_whole_seconds_and_microtime_keeps_six_digits():
    seconds = 1704164645  # 2024-01-02T03:04:05Z
    lease = msg(2, msg(3, num(1, seconds), num(2, 123456789)), msg(4, num(1, seconds)))
    pod = msg(1, msg(1, "p"), msg(9, num(1, seconds), num(2, 5)))
    assert decode_kubernetes_protobuf(envelope("coordination.k8s.io/v1", "Lease", lease))["spec"] == {
        "acquireTime": "2024-01-02T03:04:05.123456Z", "renewTime": "2024-01-02T03:04:05.000000Z",
    }
    assert decode_kubernetes_protobuf(envelope("v1", "Pod", pod))["metadata"]["deletionTimestamp"] == (
        "2024-01-02T03:04:05Z"
    )


def test_quantities_int_or_strings_and_lists_take_their_json_forms():
    probe = msg(10, msg(1, msg(2, msg(2, num(1, 0), num(2, 8080)))), num(4, 5))  # handler is inline
    readiness = msg(11, msg(1, msg(3, msg(1, num(1, 1), msg(3, "http")))))
    resources = msg(8, entry(1, "memory", msg(2, msg(1, "64Mi"))), entry(2, "cpu", msg(2, msg(1, "100m"))))
    container = msg(2, msg(1, "c"), msg(3, "sleep"), msg(3, "60"), resources, probe, readiness)
    pod = envelope("v1", "Pod", msg(2, container))
    assert decode_kubernetes_protobuf(pod)["spec"]["containers"] == [{
        "name": "c", "command": ["sleep", "60"],
        "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "100m"}},
        "livenessProbe": {"httpGet": {"port": 8080}, "periodSeconds": 5},
        "readinessProbe": {"tcpSocket": {"port": "http"}},
    }]


def test_zero_plain_fields_are_dropped_but_zero_pointer_fields_are_kept():
    # Guards against `kubectl create deployment --replicas=0` becoming the default of 1:
    # Go sends every plain field even when zero (JSON omits those), but a pointer only when set.
    spec = msg(2, num(1, 0), msg(3, msg(2, msg(3, ""), num(11, 0), num(4, 0), msg(2, msg(1, "c")))), num(5, 0))
    decoded = decode_kubernetes_protobuf(envelope("apps/v1", "Deployment", spec))
    assert decoded["spec"] == {"replicas": 0, "template": {"spec": {"terminationGracePeriodSeconds": 0,
                                                                     "containers": [{"name": "c"}]}}}


def test_inline_structs_land_in_their_parent_object():
    config_map = msg(19, msg(1, msg(1, "settings")), num(4, 1))  # LocalObjectReference inline, optional=true
    volume = msg(1, msg(1, "cfg"), msg(2, config_map))  # VolumeSource inline in Volume
    env = msg(7, msg(1, "A"), msg(3, msg(4, msg(1, msg(1, "creds")), msg(2, "token"))))
    pod = envelope("v1", "Pod", msg(2, volume, msg(2, msg(1, "c"), env)))
    spec = decode_kubernetes_protobuf(pod)["spec"]
    assert spec["volumes"] == [{"name": "cfg", "configMap": {"name": "settings", "optional": True}}]
    assert spec["containers"][0]["env"] == [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "creds",
                                                                                         "key": "token"}}}]


def test_repeated_integers_are_read_packed_or_one_by_one():
    packed = msg(4, varint(1000) + varint(2000))
    unpacked = num(4, 1000) + num(4, 2000)
    for groups in (packed, unpacked):
        pod = envelope("v1", "Pod", msg(2, msg(14, groups)))
        assert decode_kubernetes_protobuf(pod)["spec"]["securityContext"] == {"supplementalGroups": [1000, 2000]}


def test_field_numbers_the_tables_do_not_know_are_skipped():
    body = envelope("v1", "Namespace", msg(1, msg(1, "zz"), num(99, 7), msg(98, "future")) + num(77, 1))
    assert decode_kubernetes_protobuf(body)["metadata"] == {"name": "zz"}


def test_delete_options_decode_in_whatever_group_version_the_client_names():
    body = num(1, 0) + msg(2, msg(1, "uid-1")) + msg(4, "Foreground") + msg(5, "All")
    assert decode_kubernetes_protobuf(envelope("apps/v1", "DeleteOptions", body)) == {
        "apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-1"}, "propagationPolicy": "Foreground", "dryRun": ["All"],
    }


def test_every_type_the_tables_name_is_defined():
    assert schema.undefined_types() == set()


def test_every_served_kind_has_a_top_level_message():
    from objects.kinds import ALL_KINDS

    # tinykube.io kinds are served as Kubernetes serves custom resources: in JSON only.
    assert [k.kind for k in ALL_KINDS
            if k.group != "tinykube.io" and schema.message_for_kind(k.api_version, k.kind) is None] == []


@pytest.mark.parametrize("body, complaint", [
    (b'{"kind": "Namespace"}', "magic number"),
    (envelope("v1", "ConfigMap", b""), 'no schema for kind "ConfigMap"'),
    (b"k8s\x00" + msg(2, b""), "does not name the kind"),
    (envelope("v1", "Namespace", num(1, 5)), "must be length-delimited"),
    (envelope("v1", "Namespace", msg(1, msg(1, b"\xff\xfe"))), "not UTF-8"),
    (envelope("v1", "Namespace", b"\x0a\x05ab"), "claims 5 bytes"),
])
def test_malformed_bodies_are_rejected_with_a_reason(body, complaint):
    with pytest.raises(ProtobufError, match=complaint):
        decode_kubernetes_protobuf(body)


# ----- over HTTP, and with the real kubectl


def test_a_malformed_protobuf_body_is_a_400_status(api):
    response = api.post("/api/v1/namespaces", content=b"k8s\x00\x0a\x09abc", headers={"Content-Type": MEDIA_TYPE})
    assert response.status_code == 400, response.text
    assert response.json()["kind"] == "Status"
    assert response.json()["reason"] == "BadRequest"
    assert "protobuf" in response.json()["message"]


def test_kubectl_create_namespace_sends_protobuf_and_it_is_stored(kubectl, api):
    name = f"pb-{uuid.uuid4().hex[:8]}"
    result = kubectl("create", "namespace", name, "-v=8")
    assert f"Content-Type: {MEDIA_TYPE}" in result.stderr  # the path under test, not a JSON fallback
    assert result.stdout.strip() == f"namespace/{name} created"
    stored = api.get(f"/api/v1/namespaces/{name}").json()
    assert stored["metadata"]["name"] == name and stored["metadata"]["creationTimestamp"]
    assert kubectl("delete", "ns", name).stdout.strip() == f'namespace "{name}" deleted'
    assert api.get(f"/api/v1/namespaces/{name}").status_code == 404


def test_kubectl_create_deployment_is_stored_with_its_template(kubectl, api, namespace):
    result = kubectl("create", "deployment", "d", "-n", namespace, "--image=busybox:1.36", "--replicas=2",
                     "--port=8080")
    assert result.stdout.strip() == "deployment.apps/d created"
    spec = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/d").json()["spec"]
    assert spec["replicas"] == 2
    assert spec["selector"] == {"matchLabels": {"app": "d"}}
    assert spec["template"]["metadata"]["labels"] == {"app": "d"}
    [container] = spec["template"]["spec"]["containers"]
    assert (container["name"], container["image"]) == ("busybox", "busybox:1.36")
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    # kubectl leaves these unset, so Go sends "": dropped, as JSON would, they get the apiserver's defaults
    assert (spec["template"]["spec"]["restartPolicy"], spec["template"]["spec"]["dnsPolicy"]) == ("Always",
                                                                                                  "ClusterFirst")


def test_kubectl_create_deployment_with_zero_replicas_keeps_zero(kubectl, api, namespace):
    kubectl("create", "deployment", "idle", "-n", namespace, "--image=busybox:1.36", "--replicas=0")
    assert api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/idle").json()["spec"]["replicas"] == 0


def test_kubectl_run_stores_labels_env_ports_and_args(kubectl, api, namespace):
    result = kubectl("run", "p", "-n", namespace, "--image=busybox:1.36", "--labels=a=b", "--env=A=1",
                     "--port=80", "--", "sleep", "3600")
    assert result.stdout.strip() == "pod/p created"
    pod = api.get(f"/api/v1/namespaces/{namespace}/pods/p").json()
    assert pod["metadata"]["labels"] == {"a": "b"}
    [container] = pod["spec"]["containers"]
    assert container["image"] == "busybox:1.36"
    assert container["args"] == ["sleep", "3600"]
    assert container["env"] == [{"name": "A", "value": "1"}]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_a_service_and_an_endpoint_slice_decode_with_their_own_port_messages():
    # ServicePort.targetPort is an IntOrString; the discovery group's EndpointPort numbers its fields
    # unlike core/v1's (name, protocol, port), which is why the tables name it EndpointSlicePort.
    service_port = msg(1, msg(1, "http"), msg(2, "TCP"), num(3, 80), msg(4, num(1, 0), num(2, 8080)), num(5, 0))
    service = envelope("v1", "Service", msg(1, msg(1, "web")) + msg(2, service_port, entry(2, "app", "web"),
                                                                     msg(4, "NodePort"), msg(17, "SingleStack")))
    assert decode_kubernetes_protobuf(service)["spec"] == {
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "selector": {"app": "web"}, "type": "NodePort", "ipFamilyPolicy": "SingleStack"}
    endpoint = msg(2, msg(1, "10.0.0.5"), msg(2, num(1, 1)), msg(6, "node-1"))
    endpoint_slice = envelope("discovery.k8s.io/v1", "EndpointSlice",
                              msg(1, msg(1, "web-abc")) + msg(4, "IPv4") + endpoint + msg(3, msg(1, "http"),
                                                                                          msg(2, "TCP"), num(3, 8080)))
    assert decode_kubernetes_protobuf(endpoint_slice) == {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-abc"},
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": True},
                                              "nodeName": "node-1"}],
        "ports": [{"name": "http", "protocol": "TCP", "port": 8080}]}
