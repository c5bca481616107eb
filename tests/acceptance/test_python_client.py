"""The official `kubernetes` Python client (37.x) against a live master.

The 37.x client deserializes every answer into strict pydantic models, so each
call here also checks that the server fills every required field with the
right JSON type (KUBERNETES_API.md section 11).
"""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import kubernetes
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.support.cluster import wait_for

LEASE_NAMESPACE = "kube-node-lease"


@pytest.fixture
def k8s(master):
    """An ApiClient loaded from the master's admin kubeconfig, as a user's program would load it."""
    api_client = kubernetes.config.new_client_from_config(config_file=str(master.kubeconfig))
    yield api_client
    api_client.close()


@pytest.fixture
def core(k8s):
    return client.CoreV1Api(k8s)


@pytest.fixture
def apps(k8s):
    return client.AppsV1Api(k8s)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def pod(name: str, *, labels: dict | None = None, image: str = "busybox:1.36") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def deployment(name: str = "web", *, replicas: int = 2, image: str = "busybox:1.36") -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image=image)]),
            ),
        ),
    )


def status_of(error: ApiException) -> dict:
    """The metav1.Status the server answered with."""
    body = json.loads(error.body)
    assert body["kind"] == "Status" and body["status"] == "Failure", body
    return body


def names(pods) -> list[str]:
    return sorted(p.metadata.name for p in pods.items)


# ----- pods


def test_pods_are_created_from_a_model_or_a_dict_and_read_back(core, namespace):
    model = client.V1Pod(
        metadata=client.V1ObjectMeta(name="from-model", labels={"app": "model"}),
        spec=client.V1PodSpec(containers=[client.V1Container(
            name="app", image="busybox:1.36", ports=[client.V1ContainerPort(container_port=8080)])]),
    )
    created = core.create_namespaced_pod(namespace, model)
    assert isinstance(created, client.V1Pod)
    assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
    assert created.metadata.namespace == namespace
    assert created.spec.containers[0].ports[0].container_port == 8080
    assert created.status.phase == "Pending"

    from_dict = core.create_namespaced_pod(namespace, pod("from-dict"))
    assert from_dict.spec.containers[0].image == "busybox:1.36"

    read = core.read_namespaced_pod("from-model", namespace)
    assert read.metadata.uid == created.metadata.uid
    assert read.metadata.resource_version == created.metadata.resource_version


def test_creating_an_existing_pod_is_409_already_exists(core, namespace):
    core.create_namespaced_pod(namespace, pod("web"))
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod(namespace, pod("web"))
    assert raised.value.status == 409
    assert status_of(raised.value)["reason"] == "AlreadyExists"


def test_lists_deserialize_into_pod_lists_in_one_namespace_and_across_all(core, namespace):
    for name in ("a", "b"):
        core.create_namespaced_pod(namespace, pod(name))

    listed = core.list_namespaced_pod(namespace)
    assert isinstance(listed, client.V1PodList)
    assert names(listed) == ["a", "b"]
    assert int(listed.metadata.resource_version) >= max(int(p.metadata.resource_version) for p in listed.items)

    everywhere = core.list_pod_for_all_namespaces()
    assert isinstance(everywhere, client.V1PodList)
    assert {("a", namespace), ("b", namespace)} <= {(p.metadata.name, p.metadata.namespace) for p in everywhere.items}


def test_lists_filter_by_label_and_field_selectors(core, namespace):
    core.create_namespaced_pod(namespace, pod("web-1", labels={"app": "web", "tier": "front"}))
    core.create_namespaced_pod(namespace, pod("web-2", labels={"app": "web", "tier": "back"}))
    core.create_namespaced_pod(namespace, pod("db", labels={"app": "db"}))

    assert names(core.list_namespaced_pod(namespace, label_selector="app=web")) == ["web-1", "web-2"]
    assert names(core.list_namespaced_pod(namespace, label_selector="app=web,tier!=back")) == ["web-1"]
    assert names(core.list_namespaced_pod(namespace, label_selector="tier in (front,back)")) == ["web-1", "web-2"]
    assert names(core.list_namespaced_pod(namespace, field_selector="metadata.name=db")) == ["db"]
    assert names(core.list_namespaced_pod(namespace, field_selector="status.phase=Pending,spec.nodeName=")) == [
        "db", "web-1", "web-2"]
    everywhere = core.list_pod_for_all_namespaces(
        label_selector="app=web", field_selector=f"metadata.namespace={namespace}")
    assert names(everywhere) == ["web-1", "web-2"]


def test_a_dict_patch_is_a_strategic_merge_that_changes_a_label_and_an_image(core, namespace):
    created = core.create_namespaced_pod(namespace, pod("web", labels={"app": "web", "tier": "front"}))

    patched = core.patch_namespaced_pod("web", namespace, {
        "metadata": {"labels": {"tier": "back"}},
        "spec": {"containers": [{"name": "app", "image": "busybox:1.37"}]},
    })

    assert patched.metadata.labels == {"app": "web", "tier": "back"}
    # Strategic merge keys containers by name: the one container is updated, not replaced by a bare one.
    assert [(c.name, c.image) for c in patched.spec.containers] == [("app", "busybox:1.37")]
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    assert core.read_namespaced_pod("web", namespace).spec.containers[0].image == "busybox:1.37"


def test_replace_with_the_read_object_succeeds_and_a_stale_resource_version_is_a_conflict(core, namespace):
    core.create_namespaced_pod(namespace, pod("web"))
    read = core.read_namespaced_pod("web", namespace)
    read.metadata.labels["edited"] = "yes"

    replaced = core.replace_namespaced_pod("web", namespace, read)
    assert replaced.metadata.labels["edited"] == "yes"
    assert int(replaced.metadata.resource_version) > int(read.metadata.resource_version)

    read.metadata.labels["edited"] = "again"  # still carries the old resourceVersion
    with pytest.raises(ApiException) as raised:
        core.replace_namespaced_pod("web", namespace, read)
    assert raised.value.status == 409
    answer = status_of(raised.value)
    assert answer["reason"] == "Conflict"
    assert answer["message"] == (
        'Operation cannot be fulfilled on pods "web": the object has been modified; '
        "please apply your changes to the latest version and try again")
    assert core.read_namespaced_pod("web", namespace).metadata.labels["edited"] == "yes"


def test_deleting_an_unbound_pod_removes_it_and_a_read_is_404_not_found(core, namespace):
    created = core.create_namespaced_pod(namespace, pod("web"))

    deleted = core.delete_namespaced_pod("web", namespace)
    assert isinstance(deleted, client.V1Pod)
    assert deleted.metadata.uid == created.metadata.uid

    with pytest.raises(ApiException) as raised:
        core.read_namespaced_pod("web", namespace)
    assert raised.value.status == 404
    answer = status_of(raised.value)
    assert answer["reason"] == "NotFound"
    assert answer["message"] == 'pods "web" not found'
    assert answer["details"] == {"name": "web", "kind": "pods"}


def test_dry_run_all_creates_patches_and_deletes_nothing(core, namespace):
    rehearsed = core.create_namespaced_pod(namespace, pod("web"), dry_run="All")
    assert rehearsed.metadata.uid and rehearsed.metadata.resource_version is None
    assert core.list_namespaced_pod(namespace).items == []
    core.create_namespaced_pod(namespace, pod("web"))
    patched = core.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"tier": "x"}}}, dry_run="All")
    assert patched.metadata.labels == {"app": "web", "tier": "x"}
    core.delete_namespaced_pod("web", namespace, dry_run="All")
    kept = core.read_namespaced_pod("web", namespace)
    assert "tier" not in (kept.metadata.labels or {}) and kept.metadata.deletion_timestamp is None


# ----- watch


def _change_pods_once_watched(core, namespace: str, watching: threading.Event) -> None:
    assert watching.wait(30), "the watch never delivered the existing pods"
    core.create_namespaced_pod(namespace, pod("c"))
    core.patch_namespaced_pod("a", namespace, {"metadata": {"labels": {"changed": "yes"}}})
    core.delete_namespaced_pod("b", namespace)


def test_watch_lists_existing_pods_then_follows_changes_and_resumes_from_a_resource_version(core, namespace):
    for name in ("a", "b"):
        core.create_namespaced_pod(namespace, pod(name))
    watch = kubernetes.watch.Watch()
    initial, live = [], []
    started = threading.Event()

    with ThreadPoolExecutor(max_workers=1) as writer:
        changes = writer.submit(_change_pods_once_watched, core, namespace, started)
        for event in watch.stream(core.list_namespaced_pod, namespace, timeout_seconds=30):
            assert isinstance(event["object"], client.V1Pod)
            summary = (event["type"], event["object"].metadata.name, event["object"].metadata.resource_version)
            if len(initial) < 2:
                initial.append(summary)
                if len(initial) == 2:
                    started.set()
                continue
            live.append(summary)
            if event["type"] == "DELETED":
                watch.stop()
        changes.result()

    # Without a resourceVersion the watch starts with a synthetic ADDED for every existing pod.
    assert sorted((kind, name) for kind, name, _ in initial) == [("ADDED", "a"), ("ADDED", "b")]
    assert [(kind, name) for kind, name, _ in live] == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert watch.resource_version == live[-1][2]

    # Resuming from the newest revision seen before the changes replays exactly the changes.
    resume_from = str(max(int(rv) for _, _, rv in initial))
    replayed = [
        (event["type"], event["object"].metadata.name, event["object"].metadata.resource_version)
        for event in kubernetes.watch.Watch().stream(
            core.list_namespaced_pod, namespace, resource_version=resume_from, timeout_seconds=1)
    ]
    assert replayed == live


def test_a_watch_with_a_label_selector_sees_only_matching_pods(core, namespace):
    core.create_namespaced_pod(namespace, pod("web", labels={"app": "web"}))
    core.create_namespaced_pod(namespace, pod("db", labels={"app": "db"}))
    seen = [
        (event["type"], event["object"].metadata.name)
        for event in kubernetes.watch.Watch().stream(
            core.list_namespaced_pod, namespace, label_selector="app=web", timeout_seconds=1)
    ]
    assert seen == [("ADDED", "web")]


# ----- deployments


def test_deployment_create_read_list_patch_scale_replace_and_delete(apps, namespace):
    created = apps.create_namespaced_deployment(namespace, deployment("web", replicas=2))
    assert isinstance(created, client.V1Deployment)
    assert created.metadata.generation == 1
    assert apps.read_namespaced_deployment("web", namespace).metadata.uid == created.metadata.uid
    listed = apps.list_namespaced_deployment(namespace)
    assert isinstance(listed, client.V1DeploymentList)
    assert [d.metadata.name for d in listed.items] == ["web"]
    assert "web" in {d.metadata.name for d in apps.list_deployment_for_all_namespaces().items
                     if d.metadata.namespace == namespace}

    patched = apps.patch_namespaced_deployment("web", namespace, {
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "app", "image": "busybox:1.37"}]}}},
    })
    assert patched.spec.replicas == 3
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("app", "busybox:1.37")]
    assert patched.metadata.generation == 2

    scale = apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 5}})
    assert isinstance(scale, client.V1Scale)
    assert scale.spec.replicas == 5
    read_scale = apps.read_namespaced_deployment_scale("web", namespace)
    assert read_scale.spec.replicas == 5
    assert read_scale.status.selector == "app=web"
    assert apps.read_namespaced_deployment("web", namespace).spec.replicas == 5

    current = apps.read_namespaced_deployment("web", namespace)
    current.spec.template.spec.containers[0].image = "busybox:1.38"
    replaced = apps.replace_namespaced_deployment("web", namespace, current)
    assert replaced.spec.template.spec.containers[0].image == "busybox:1.38"
    assert replaced.spec.replicas == 5

    apps.delete_namespaced_deployment("web", namespace)
    with pytest.raises(ApiException) as raised:
        apps.read_namespaced_deployment("web", namespace)
    assert raised.value.status == 404
    assert status_of(raised.value)["details"] == {"name": "web", "group": "apps", "kind": "deployments"}


def test_deleting_a_deployment_answers_a_success_status(apps, namespace):
    """kube-apiserver returns the deleted object only for kinds with ReturnDeletedObject (pods); others get a Status."""
    created = apps.create_namespaced_deployment(namespace, deployment("web"))
    answer = apps.delete_namespaced_deployment("web", namespace)
    assert answer["kind"] == "Status" and answer["status"] == "Success"
    assert answer["details"]["name"] == "web" and answer["details"]["uid"] == created.metadata.uid


# ----- validation


@pytest.mark.parametrize("container, field", [
    ({"name": "app"}, "spec.containers[0].image"),
    ({"name": "Not_A_DNS_Label", "image": "busybox:1.36"}, "spec.containers[0].name"),
])
def test_an_invalid_pod_is_422_with_a_status_naming_the_field(core, namespace, container, field):
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod(namespace, {"metadata": {"name": "bad"}, "spec": {"containers": [container]}})
    assert raised.value.status == 422
    answer = status_of(raised.value)
    assert answer["reason"] == "Invalid"
    assert answer["message"].startswith(f'Pod "bad" is invalid: {field}')
    assert field in [cause["field"] for cause in answer["details"]["causes"]]
    assert core.list_namespaced_pod(namespace).items == []


def test_an_invalid_cause_carries_the_field_apart_from_its_message(core, namespace):
    """kube-apiserver builds causes from field.Error.ErrorBody(), which leaves the field out; clients
    such as kubectl print `field: message`, so a repeated field shows up twice."""
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_pod(namespace, {"metadata": {"name": "bad"}, "spec": {"containers": [{"name": "app"}]}})
    assert status_of(raised.value)["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}]


def test_a_deployment_whose_selector_misses_its_template_is_422(apps, namespace):
    invalid = deployment("web")
    invalid.spec.template.metadata.labels = {"app": "other"}
    with pytest.raises(ApiException) as raised:
        apps.create_namespaced_deployment(namespace, invalid)
    assert raised.value.status == 422
    answer = status_of(raised.value)
    assert answer["reason"] == "Invalid"
    assert answer["details"]["kind"] == "Deployment" and answer["details"]["name"] == "web"
    assert "spec.template.metadata.labels" in [cause["field"] for cause in answer["details"]["causes"]]
    assert apps.list_namespaced_deployment(namespace).items == []


# ----- nodes, namespaces, events, leases


def node(name: str) -> client.V1Node:
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels={"kubernetes.io/hostname": name}),
        status=client.V1NodeStatus(
            capacity={"cpu": "2", "memory": "4Gi", "pods": "110"},
            allocatable={"cpu": "2", "memory": "4Gi", "pods": "110"},
            conditions=[client.V1NodeCondition(type="Ready", status="True", reason="KubeletReady")],
            addresses=[client.V1NodeAddress(type="InternalIP", address="127.0.0.1")],
            node_info=client.V1NodeSystemInfo(
                architecture="amd64", boot_id="", container_runtime_version="docker://24.0.0",
                kernel_version="6.1.0", kube_proxy_version="", kubelet_version="v1.32.0", machine_id="",
                operating_system="linux", os_image="Debian", system_uuid="",
            ),
        ),
    )


def test_list_node_deserializes_a_registered_node(core):
    name = unique("node")
    core.create_node(node(name))
    try:
        nodes = core.list_node()
        assert isinstance(nodes, client.V1NodeList)
        registered = next(n for n in nodes.items if n.metadata.name == name)
        assert registered.status.node_info.kubelet_version == "v1.32.0"
        assert registered.status.conditions[0].type == "Ready"
        assert [n.metadata.name for n in core.list_node(field_selector=f"metadata.name={name}").items] == [name]
    finally:
        core.delete_node(name)
    with pytest.raises(ApiException) as raised:
        core.read_node(name)
    assert raised.value.status == 404


def test_a_namespace_is_created_and_deleted_with_its_pods(core):
    name = unique("ns")
    created = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    assert isinstance(created, client.V1Namespace)
    assert created.status.phase == "Active"
    core.create_namespaced_pod(name, pod("web"))
    assert name in {ns.metadata.name for ns in core.list_namespace().items}

    core.delete_namespace(name)

    def gone() -> bool:
        try:
            core.read_namespace(name)
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, message=f"namespace {name} to be gone")
    assert not [p for p in core.list_pod_for_all_namespaces().items if p.metadata.namespace == name]


def test_events_are_created_and_listed_by_involved_object(core, namespace):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for pod_name in ("web", "db"):
        core.create_namespaced_event(namespace, client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=f"{pod_name}.1"),
            involved_object=client.V1ObjectReference(kind="Pod", name=pod_name, namespace=namespace,
                                                     api_version="v1"),
            reason="Scheduled", message=f"Successfully assigned {namespace}/{pod_name} to node-1", type="Normal",
            first_timestamp=now, last_timestamp=now, count=1,
            source=client.V1EventSource(component="default-scheduler"),
        ))

    events = core.list_namespaced_event(namespace, field_selector="involvedObject.name=web")
    assert isinstance(events, client.CoreV1EventList)
    assert [(e.metadata.name, e.involved_object.kind, e.reason, e.count) for e in events.items] == [
        ("web.1", "Pod", "Scheduled", 1)]
    assert events.items[0].first_timestamp == now
    everywhere = core.list_event_for_all_namespaces(
        field_selector=f"involvedObject.name=web,involvedObject.namespace={namespace}")
    assert [e.metadata.name for e in everywhere.items] == ["web.1"]


def test_a_node_lease_is_created_read_and_renewed(k8s):
    coordination = client.CoordinationV1Api(k8s)
    name = unique("node")
    acquired = datetime.now(timezone.utc)
    lease = client.V1Lease(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1LeaseSpec(holder_identity=name, lease_duration_seconds=40, renew_time=acquired),
    )
    created = coordination.create_namespaced_lease(LEASE_NAMESPACE, lease)
    try:
        assert isinstance(created, client.V1Lease)
        read = coordination.read_namespaced_lease(name, LEASE_NAMESPACE)
        assert read.spec.holder_identity == name and read.spec.lease_duration_seconds == 40
        assert read.spec.renew_time == acquired  # MicroTime keeps the microseconds

        read.spec.renew_time = acquired + timedelta(seconds=10)
        renewed = coordination.replace_namespaced_lease(name, LEASE_NAMESPACE, read)
        assert renewed.spec.renew_time == acquired + timedelta(seconds=10)
        assert int(renewed.metadata.resource_version) > int(read.metadata.resource_version)
    finally:
        coordination.delete_namespaced_lease(name, LEASE_NAMESPACE)
