"""The pods/eviction subresource over HTTPS (httpx), and the real `kubectl drain` using it.

The session master runs no scheduler and these nodes have no kubelet (hollow
nodes), so a pod is bound by setting spec.nodeName at creation, and a bound
pod evicted with a grace period stays Terminating: nothing confirms it.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.cluster import wait_for

SUCCESS = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


@pytest.fixture
def node_name(api):
    name = f"node-{uuid.uuid4().hex[:6]}"
    response = api.post("/api/v1/nodes", json={"metadata": {"name": name}})
    assert response.status_code == 201, response.text
    yield name
    api.delete(f"/api/v1/nodes/{name}")


def make_pod(api, namespace: str, name: str, *, node_name: str | None = None, controlled: bool = True) -> dict:
    metadata: dict = {"name": name}
    if controlled:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                                        "uid": str(uuid.uuid4()), "controller": True}]
    spec: dict = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_name:
        spec["nodeName"] = node_name
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json={"metadata": metadata, "spec": spec})
    assert response.status_code == 201, response.text
    return response.json()


def eviction(namespace: str, name: str, **delete_options) -> dict:
    body: dict = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}}
    if delete_options:
        body["deleteOptions"] = delete_options
    return body


def evict(api, namespace: str, name: str, **delete_options):
    return api.post(f"/api/v1/namespaces/{namespace}/pods/{name}/eviction",
                    json=eviction(namespace, name, **delete_options))


def test_evicting_an_unbound_pod_deletes_it_and_answers_201_success(api, namespace):
    make_pod(api, namespace, "web")
    response = evict(api, namespace, "web")
    assert (response.status_code, response.json()) == (201, SUCCESS)
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 404


def test_evicting_a_bound_pod_marks_it_a_disruption_target_and_deletes_it_gracefully(api, namespace, node_name):
    make_pod(api, namespace, "web", node_name=node_name)
    response = evict(api, namespace, "web", gracePeriodSeconds=7)
    assert (response.status_code, response.json()) == (201, SUCCESS)
    pod = api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()
    assert pod["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 7
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (condition["status"], condition["reason"], condition["message"]) == \
        ("True", "EvictionByEvictionAPI", "Eviction API: evicting")


def test_evicting_with_grace_period_zero_removes_a_bound_pod_at_once(api, namespace, node_name):
    make_pod(api, namespace, "web", node_name=node_name)
    assert evict(api, namespace, "web", gracePeriodSeconds=0).status_code == 201
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 404


def test_evicting_a_missing_pod_is_a_404_status_naming_the_pod(api, namespace):
    response = evict(api, namespace, "ghost")
    assert response.status_code == 404
    assert response.json() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pods "ghost" not found', "reason": "NotFound", "code": 404,
        "details": {"name": "ghost", "kind": "pods"},
    }


def test_an_eviction_whose_uid_precondition_fails_is_a_conflict_and_leaves_the_pod_unmarked(api, namespace,
                                                                                           node_name):
    pod = make_pod(api, namespace, "web", node_name=node_name)
    response = evict(api, namespace, "web", preconditions={"uid": "not-the-uid"})
    assert response.status_code == 409
    assert response.json()["message"] == (
        'Operation cannot be fulfilled on pods "web": Precondition failed: UID in precondition: not-the-uid, '
        f'UID in object meta: {pod["metadata"]["uid"]}')
    after = api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()
    assert "deletionTimestamp" not in after["metadata"]
    assert not any(c["type"] == "DisruptionTarget" for c in (after.get("status") or {}).get("conditions") or [])


def test_an_eviction_with_the_current_resource_version_goes_through(api, namespace):
    pod = make_pod(api, namespace, "web")
    response = evict(api, namespace, "web", preconditions={"uid": pod["metadata"]["uid"],
                                                           "resourceVersion": pod["metadata"]["resourceVersion"]})
    assert response.status_code == 201, response.text
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 404


def test_a_dry_run_eviction_answers_success_and_leaves_the_pod_alone(api, namespace):
    make_pod(api, namespace, "web")
    assert evict(api, namespace, "web", dryRun=["All"]).status_code == 201
    pod = api.get(f"/api/v1/namespaces/{namespace}/pods/web").json()
    assert "deletionTimestamp" not in pod["metadata"]
    assert evict(api, namespace, "ghost", dryRun=["All"]).status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("subresource", ["eviction", "binding"])
def test_create_only_subresources_refuse_other_methods_with_405(api, namespace, method, subresource):
    make_pod(api, namespace, "web")
    answer = api.request(method, f"/api/v1/namespaces/{namespace}/pods/web/{subresource}")
    assert answer.status_code == 405
    assert answer.json()["reason"] == "MethodNotAllowed"
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 200


@pytest.mark.parametrize("body", [
    {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": "web"},
    {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web"},
     "deleteOptions": {"preconditions": "uid"}},
], ids=["metadata", "preconditions"])
def test_an_eviction_with_a_field_of_the_wrong_type_is_a_bad_request(api, namespace, body):
    make_pod(api, namespace, "web")
    answer = api.post(f"/api/v1/namespaces/{namespace}/pods/web/eviction", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["kind"] == "Status"
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 200


def test_an_eviction_naming_another_pod_is_a_bad_request(api, namespace):
    make_pod(api, namespace, "web")
    response = api.post(f"/api/v1/namespaces/{namespace}/pods/web/eviction", json=eviction(namespace, "other"))
    assert (response.status_code, response.json()["message"]) == \
        (400, "name in URL does not match name in Eviction object")
    assert api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 200


def test_a_kubelet_may_not_evict_pods(master, namespace):
    with master.client(master.token("node")) as node_client:
        response = evict(node_client, namespace, "web")
    assert response.status_code == 403
    assert 'cannot create resource "pods/eviction" in API group "" in the namespace' in response.json()["message"]


def test_discovery_lists_pods_eviction_as_kubectl_drain_looks_for_it(api):
    legacy = api.get("/api/v1").json()["resources"]
    assert {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy", "version": "v1",
            "kind": "Eviction", "verbs": ["create"]} in legacy
    aggregated = api.get("/api", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}).json()
    pods = next(r for r in aggregated["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert {"subresource": "eviction", "responseKind": {"group": "policy", "version": "v1", "kind": "Eviction"},
            "verbs": ["create"]} in pods["subresources"]


def test_the_real_kubectl_drain_evicts_through_the_subresource(master, kubectl, api, namespace, node_name):
    make_pod(api, namespace, "web", node_name=node_name)
    result = kubectl("drain", node_name, "--grace-period=0", "--timeout=60s", "-v=6", timeout=120)
    assert f"POST {master.url}/api/v1/namespaces/{namespace}/pods/web/eviction 201 Created" in result.stderr
    plain = [line for line in result.stdout.splitlines() if not line.endswith("eviction started")]  # -v only
    assert plain == [f"node/{node_name} cordoned", f"evicting pod {namespace}/web", "pod/web evicted",
                     f"node/{node_name} drained"]
    wait_for(lambda: api.get(f"/api/v1/namespaces/{namespace}/pods/web").status_code == 404,
             message="the evicted pod to be gone")

