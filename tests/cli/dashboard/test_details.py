"""The panels' answers: a pod's why, events, log and trace; a node's conditions and Lease; a Deployment's
ReplicaSets. Each section fails alone, and a gone object says so."""

from __future__ import annotations

from tests.cli.dashboard.conftest import create_hollow_node, create_pod, now_rfc3339, unique
from tests.support.cluster import wait_for


def test_an_unscheduled_pods_panel_has_its_why_events_and_a_one_line_log_error(cluster_api, page, namespace):
    create_pod(cluster_api, namespace, "stuck", node_selector={"disk": "nowhere"})

    def failed_scheduling():
        answer = page.get(f"/api/pods/{namespace}/stuck")
        assert answer.status_code == 200, answer.text
        details = answer.json()
        return details if any(e["reason"] == "FailedScheduling" for e in details["events"]) else None

    details = wait_for(failed_scheduling, timeout=20, message="the FailedScheduling event in the panel")
    assert details["gone"] is False and details["pod"]["name"] == "stuck" and details["pod"]["nodeName"] is None
    assert details["why"]["state"] == "Pending" and details["whyError"] is None
    event = next(e for e in details["events"] if e["reason"] == "FailedScheduling")
    assert event["type"] == "Warning" and "node" in event["message"] and event["count"] >= 1
    assert details["log"] == [] and details["logError"] == "no log yet: the pod is not scheduled to a node"
    assert details["traceError"] is None and details["trace"]["kind"] == "Trace"


def test_a_log_that_cannot_be_read_is_one_line_in_the_log_section_only(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)  # no kubelet behind it to read a log from
    create_pod(cluster_api, namespace, "quiet", node=node)
    details = page.get(f"/api/pods/{namespace}/quiet").json()
    assert details["pod"]["nodeName"] == node and details["log"] == []
    assert node in details["logError"] and "\n" not in details["logError"]
    assert details["whyError"] is None and details["eventsError"] is None


def test_a_pod_that_is_gone_says_it_was_deleted(page, namespace):
    answer = page.get(f"/api/pods/{namespace}/never-was")
    assert answer.status_code == 200
    assert answer.json()["gone"] is True and answer.json()["message"] == f"pod {namespace}/never-was was deleted"


def test_a_nodes_panel_has_its_conditions_and_lease_age(cluster_api, page):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    lease = cluster_api.post("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", json={
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": node},
        "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now_rfc3339()}})
    assert lease.status_code == 201, lease.text

    answer = page.get(f"/api/nodes/{node}")
    assert answer.status_code == 200, answer.text
    details = answer.json()
    assert details["node"]["name"] == node and details["gone"] is False
    ready = next(c for c in details["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True" and ready["reason"] == "KubeletReady"
    assert details["lease"]["holder"] == node and details["lease"]["durationSeconds"] == 40
    assert 0 <= details["lease"]["ageSeconds"] < 30 and details["leaseError"] is None
    assert details["why"]["kind"] == "Why"


def test_a_node_without_a_lease_says_so_in_its_lease_section_only(cluster_api, page):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    details = page.get(f"/api/nodes/{node}").json()
    assert details["node"]["name"] == node and details["lease"] is None
    assert "not found" in details["leaseError"]


def test_a_deployments_panel_lists_its_replica_sets_by_revision(cluster_api, page, namespace):
    template = {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    deployment = cluster_api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}}, "template": template}}).json()
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": deployment["metadata"]["uid"],
             "controller": True}
    for name, revision in (("api-new", "2"), ("api-old", "1")):
        cluster_api.post(f"/apis/apps/v1/namespaces/{namespace}/replicasets", json={
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "ownerReferences": [owner],
                         "annotations": {"deployment.kubernetes.io/revision": revision}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}}, "template": template}}
        ).raise_for_status()

    details = page.get(f"/api/deployments/{namespace}/api").json()
    assert details["deployment"]["replicas"] == 2 and details["gone"] is False
    assert [(rs["name"], rs["revision"]) for rs in details["replicaSets"]] == [("api-old", "1"), ("api-new", "2")]
    assert details["why"] is not None or details["whyError"]

    cluster_api.delete(f"/apis/apps/v1/namespaces/{namespace}/deployments/api")
    gone = page.get(f"/api/deployments/{namespace}/api").json()
    assert gone["gone"] is True and gone["message"] == f"deployment {namespace}/api was deleted"


def test_a_name_no_object_can_have_is_400_naming_the_bad_part(page):
    # The bug: names went into the API's paths unchecked: `?x=` turned a Deployment's read into the whole
    # DeploymentList (shown as its `why`), and `..` into a bare 500.
    for path, message in (
            ("/api/deployments/default/%3Fx=", 'deployment name "?x=" is not valid: a lowercase RFC 1123 subdomain'),
            ("/api/pods/default/%2E%2E", 'pod name ".." is not valid: a lowercase RFC 1123 subdomain'),
            ("/api/pods/Default/web", 'namespace "Default" is not valid: a lowercase RFC 1123 label'),
            ("/api/pods/kube.system/web", 'namespace "kube.system" is not valid: a lowercase RFC 1123 label'),
            ("/api/nodes/node%201", 'node name "node 1" is not valid: a lowercase RFC 1123 subdomain'),
            (f"/api/pods/default/{'a' * 254}", "must be no more than 253 characters")):
        answer = page.get(path)
        assert answer.status_code == 400, (path, answer.text)
        assert message in answer.json()["message"], path
