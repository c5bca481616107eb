"""The flight recorder through the API of a live master: who made each write, and why."""

import sqlite3
import uuid

import kubernetes
import pytest
from kubernetes import client

from apiclient import ApiClient, load_kubeconfig
from apiclient.provenance import explaining, reacting_to
from objects.kinds import POD


def pod(name: str, image: str = "busybox:1.36") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def stored_origins(master, namespace: str, name: str) -> list[dict]:
    """The provenance of every retained write of one pod, oldest first, as the master's database holds it."""
    db = sqlite3.connect(f"file:{master.data_dir / 'tinykube.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(
            "SELECT revision, event, user, component, verb, subresource, cause, note, at FROM revisions"
            " WHERE resource = 'pods' AND namespace = ? AND name = ? ORDER BY revision", (namespace, name))
        return [dict(row) for row in rows]
    finally:
        db.close()


# ----- provenance of writes


def test_kubectl_writes_are_recorded_as_the_admin_through_kubectl(master, kubectl, namespace):
    kubectl("run", "web", "--image=busybox:1.36", "-n", namespace)
    kubectl("label", "pod", "web", "tier=front", "-n", namespace)
    kubectl("delete", "pod", "web", "-n", namespace, "--wait=false")

    created, labelled, deleted = stored_origins(master, namespace, "web")
    assert (created["user"], created["component"], created["verb"]) == ("admin", "kubectl", "create")
    assert (labelled["component"], labelled["verb"], labelled["cause"]) == ("kubectl", "patch", None)
    assert (deleted["event"], deleted["verb"]) == ("DELETED", "delete")
    assert created["at"] <= labelled["at"] <= deleted["at"]


def test_the_python_client_sends_what_it_reacted_to_and_a_note_as_headers(master, namespace):
    api_client = kubernetes.config.new_client_from_config(config_file=str(master.kubeconfig))
    try:
        core = client.CoreV1Api(api_client)
        first = core.create_namespaced_pod(namespace, pod("web"))
        api_client.set_default_header("X-Tinykube-Reacted-To", first.metadata.resource_version)
        api_client.set_default_header("X-Tinykube-Note", "because  I\tsaid so " + "x" * 400)
        core.patch_namespaced_pod("web", namespace, {"metadata": {"labels": {"seen": "yes"}}})
    finally:
        api_client.close()

    created, patched = stored_origins(master, namespace, "web")
    assert created["component"] == "OpenAPI-Generator" and created["cause"] is None
    assert patched["cause"] == int(first.metadata.resource_version)
    assert patched["note"].startswith("because I said so x") and len(patched["note"]) == 300


def test_apiclient_carries_the_cause_and_note_of_its_context_and_a_subresource_has_its_own_verb(master, namespace):
    with ApiClient(load_kubeconfig(master.kubeconfig), user_agent="tinykube-kubelet/node-1") as api:
        created = api.create(POD, pod("web"), namespace)
        rv = created["metadata"]["resourceVersion"]
        with reacting_to(rv), explaining("sandbox 12 ms, pull 0 ms"):
            api.update(POD, {**created, "status": {"phase": "Running"}}, subresource="status")
        api.post_path(f"/api/v1/namespaces/{namespace}/pods/web/binding",
                      {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
                       "target": {"kind": "Node", "name": "node-1"}})

    created_row, status_row, bound_row = stored_origins(master, namespace, "web")
    assert created_row["component"] == "kubelet/node-1"
    assert (status_row["verb"], status_row["subresource"], status_row["cause"], status_row["note"]) == (
        "update", "status", int(rv), "sandbox 12 ms, pull 0 ms")
    assert (bound_row["verb"], bound_row["subresource"]) == ("bind", "binding")


@pytest.mark.parametrize("value", ["abc", "-3", "0", "12.5", ""])
def test_a_malformed_cause_header_is_ignored_and_the_write_still_succeeds(master, api, namespace, value):
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod("web"),
                        headers={"X-Tinykube-Reacted-To": value, "User-Agent": "tkctl/0.1.0"})
    assert response.status_code == 201, response.text
    (row,) = stored_origins(master, namespace, "web")
    assert (row["cause"], row["component"]) == (None, "tkctl")


def test_the_writes_of_a_namespace_delete_made_in_a_worker_thread_carry_the_requests_origin(master, api):
    """The namespace's content is deleted in run_in_threadpool: the origin must follow it there."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    assert api.post(f"/api/v1/namespaces/{name}/pods", json=pod("web")).status_code == 201
    response = api.delete(f"/api/v1/namespaces/{name}", headers={"User-Agent": "tkctl/0.1.0",
                                                                 "X-Tinykube-Note": "cleanup"})
    assert response.status_code == 200, response.text

    deleted = stored_origins(master, name, "web")[-1]
    assert (deleted["event"], deleted["user"], deleted["component"], deleted["verb"], deleted["note"]) == (
        "DELETED", "admin", "tkctl", "delete", "cleanup")


def test_a_deletecollection_in_a_worker_thread_records_each_delete_with_the_requests_origin(master, api, namespace):
    for name in ("a", "b"):
        assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod(name)).status_code == 201
    response = api.delete(f"/api/v1/namespaces/{namespace}/pods", headers={"User-Agent": "tkctl/0.1.0"})
    assert response.status_code == 200, response.text
    for name in ("a", "b"):
        deleted = stored_origins(master, namespace, name)[-1]
        assert (deleted["event"], deleted["component"], deleted["verb"]) == ("DELETED", "tkctl", "deletecollection")
