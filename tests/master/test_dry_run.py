"""dryRun=All: every write runs its checks against the real objects and stores nothing."""

import json

import pytest

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "app", "image": "busybox"}]}}


def pods(namespace):
    return f"/api/v1/namespaces/{namespace}/pods"


def revision(api):
    """The cluster's revision: a stored write, of any object, moves it."""
    return int(api.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"])


def test_a_dry_run_create_answers_with_the_defaulted_object_and_stores_nothing(api, namespace):
    before = revision(api)
    answer = api.post(pods(namespace), params={"dryRun": "All"}, json=POD)
    assert answer.status_code == 201, answer.text
    would_be = answer.json()
    assert would_be["metadata"]["uid"] and would_be["metadata"]["creationTimestamp"]
    assert "resourceVersion" not in would_be["metadata"]
    assert would_be["spec"]["containers"][0]["imagePullPolicy"] == "Always"  # defaults ran
    assert api.get(f"{pods(namespace)}/web").status_code == 404
    assert revision(api) == before


def test_a_dry_run_create_still_refuses_what_a_real_one_would(api, namespace):
    assert api.post(pods(namespace), json=POD).status_code == 201
    again = api.post(pods(namespace), params={"dryRun": "All"}, json=POD)
    assert again.status_code == 409 and again.json()["reason"] == "AlreadyExists"
    bad = {**POD, "metadata": {"name": "Not_A_Name"}}
    invalid = api.post(pods(namespace), params={"dryRun": "All"}, json=bad)
    assert invalid.status_code == 422 and invalid.json()["details"]["causes"][0]["field"] == "metadata.name"


@pytest.mark.parametrize("method, body, content_type", [
    ("PATCH", {"metadata": {"labels": {"app": "changed"}}}, "application/merge-patch+json"),
    ("PATCH", [{"op": "replace", "path": "/metadata/labels/app", "value": "changed"}], "application/json-patch+json"),
    ("PUT", None, "application/json"),
])
def test_a_dry_run_update_or_patch_answers_with_the_change_and_keeps_the_old_object(api, namespace, method, body,
                                                                                   content_type):
    stored = api.post(pods(namespace), json=POD).json()
    if body is None:
        body = {**stored, "metadata": {**stored["metadata"], "labels": {"app": "changed"}}}
    before = revision(api)
    answer = api.request(method, f"{pods(namespace)}/web", params={"dryRun": "All"},
                         content=json.dumps(body), headers={"content-type": content_type})
    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"]["labels"] == {"app": "changed"}
    assert answer.json()["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert api.get(f"{pods(namespace)}/web").json()["metadata"]["labels"] == {"app": "web"}
    assert revision(api) == before


def test_a_dry_run_delete_in_the_query_or_in_delete_options_keeps_the_object(api, namespace):
    api.post(pods(namespace), json=POD)
    before = revision(api)
    by_query = api.delete(f"{pods(namespace)}/web", params={"dryRun": "All"})
    by_body = api.request("DELETE", f"{pods(namespace)}/web",
                          json={"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"]})
    collection = api.request("DELETE", pods(namespace), params={"dryRun": "All"})
    assert [by_query.status_code, by_body.status_code, collection.status_code] == [200, 200, 200]
    assert by_query.json()["metadata"]["name"] == "web"
    assert [p["metadata"]["name"] for p in collection.json()["items"]] == ["web"]
    assert api.get(f"{pods(namespace)}/web").status_code == 200
    assert revision(api) == before
    missing = api.delete(f"{pods(namespace)}/nothing", params={"dryRun": "All"})
    assert missing.status_code == 404


def test_a_dry_run_of_a_subresource_changes_nothing(api, namespace):
    api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "metadata": {"name": "d"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                                           "template": {"metadata": {"labels": {"app": "d"}},
                                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    before = revision(api)
    scaled = api.patch(f"/apis/apps/v1/namespaces/{namespace}/deployments/d/scale", params={"dryRun": "All"},
                       content='{"spec":{"replicas":5}}', headers={"content-type": "application/merge-patch+json"})
    assert scaled.status_code == 200 and scaled.json()["spec"]["replicas"] == 5
    assert api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/d").json()["spec"]["replicas"] == 1
    assert revision(api) == before


def test_an_unknown_dry_run_value_is_refused_naming_the_field(api, namespace):
    answer = api.post(pods(namespace), params={"dryRun": "Some"}, json=POD)
    assert answer.status_code == 422
    cause = answer.json()["details"]["causes"][0]
    assert cause["field"] == "dryRun" and '"All"' in cause["message"]
    assert answer.json()["message"].startswith('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value')
    assert api.get(f"{pods(namespace)}/web").status_code == 404


def test_kubectl_server_dry_runs_change_nothing(api, namespace, kubectl, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(json.dumps(POD))
    applied = kubectl("apply", "-n", namespace, "--dry-run=server", "-f", str(manifest)).stdout
    assert applied.strip() == "pod/web created (server dry run)"
    assert api.get(f"{pods(namespace)}/web").status_code == 404
    kubectl("apply", "-n", namespace, "-f", str(manifest))
    outputs = [
        kubectl("label", "-n", namespace, "pod", "web", "tier=front", "--dry-run=server").stdout,
        kubectl("delete", "-n", namespace, "pod", "web", "--dry-run=server").stdout,
        kubectl("create", "-n", namespace, "deployment", "d", "--image=busybox", "--dry-run=server").stdout,
    ]
    assert [o.strip() for o in outputs] == ['pod/web labeled (server dry run)', 'pod "web" deleted (server dry run)',
                                           "deployment.apps/d created (server dry run)"]
    pod = api.get(f"{pods(namespace)}/web").json()
    assert pod["metadata"]["labels"] == {"app": "web"} and not pod["metadata"].get("deletionTimestamp")
    assert api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/d").status_code == 404


def test_kubectl_diff_shows_what_apply_would_change_without_changing_it(api, namespace, kubectl, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(json.dumps(POD))
    kubectl("apply", "-n", namespace, "-f", str(manifest))
    assert kubectl("diff", "-n", namespace, "-f", str(manifest), check=False).returncode == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(json.dumps({**POD, "metadata": {**POD["metadata"], "labels": {"app": "changed"}}}))
    diff = kubectl("diff", "-n", namespace, "-f", str(changed), check=False)
    assert diff.returncode == 1, diff.stderr  # 1: differences found
    assert "-    app: web\n+    app: changed\n" in diff.stdout
    assert api.get(f"{pods(namespace)}/web").json()["metadata"]["labels"] == {"app": "web"}
