"""The timeline (recent revisions, no lease renewals, ?since= for a refresh) and time travel (/api/at/N)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.cli.dashboard.conftest import KEPT_REVISIONS, create_hollow_node, create_pod, now_rfc3339, unique
from tests.support.browser import chromium, new_page
from tests.support.cluster import wait_for


def test_the_timeline_names_who_did_what_and_leaves_out_lease_renewals(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    lease_path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    lease = cluster_api.post(lease_path, json={"metadata": {"name": node},
                                               "spec": {"holderIdentity": node, "renewTime": now_rfc3339()}}).json()
    for _ in range(3):  # renewals, as a kubelet makes them
        lease = cluster_api.put(f"{lease_path}/{node}", json={**lease, "spec": {**lease["spec"],
                                                                                "renewTime": now_rfc3339()}}).json()
    create_pod(cluster_api, namespace, "timed", node=node)

    timeline = page.get("/api/timeline", params={"limit": 50}).json()
    entries = timeline["entries"]
    assert [e["revision"] for e in entries] == sorted(e["revision"] for e in entries)  # newest last
    assert not any(e["resource"] == "leases.coordination.k8s.io" or e["resource"] == "leases" for e in entries)
    created = next(e for e in entries if e["resource"] == "pods" and e["name"] == "timed")
    assert created["type"] == "ADDED" and created["summary"] == "created" and created["namespace"] == namespace
    assert created["actor"] and created["time"]
    assert timeline["revision"] >= created["revision"] >= timeline["oldestRevision"] >= 1


def test_the_timeline_says_a_replica_count_change_in_a_few_words(cluster_api, page, namespace):
    template = {"metadata": {"labels": {"app": "w"}}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    cluster_api.post(path, json={"metadata": {"name": "w"}, "spec": {
        "replicas": 3, "selector": {"matchLabels": {"app": "w"}}, "template": template}}).raise_for_status()
    cluster_api.patch(f"{path}/w", headers={"Content-Type": "application/merge-patch+json"},
                      json={"spec": {"replicas": 6}}).raise_for_status()
    entries = page.get("/api/timeline").json()["entries"]
    scaled = [e for e in entries if e["resource"] == "deployments.apps" and e["name"] == "w"]
    assert scaled[-1]["summary"] == "spec.replicas 3 -> 6"


def test_at_a_revision_the_map_is_as_it_was(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    first = create_pod(cluster_api, namespace, "first", node=node)
    before = int(first["metadata"]["resourceVersion"])
    create_pod(cluster_api, namespace, "second", node=node)

    past = page.get(f"/api/at/{before}")
    assert past.status_code == 200, past.text
    names = {p["name"] for p in past.json()["pods"] if p["namespace"] == namespace}
    assert past.json()["revision"] == before and names == {"first"}
    assert node in {n["name"] for n in past.json()["nodes"]}

    now = wait_for(lambda: page.get("/api/timeline").json()["revision"], message="the newest revision")
    assert {p["name"] for p in page.get(f"/api/at/{now}").json()["pods"] if p["namespace"] == namespace} == {
        "first", "second"}


def test_a_revision_in_the_future_is_422_and_not_a_number_is_400(page):
    future = page.get("/api/at/999999999")
    assert future.status_code == 422 and "999999999" in future.json()["message"]
    assert page.get("/api/at/yesterday").status_code == 400


def test_a_compacted_revision_is_410_with_a_message(cluster_api, page, namespace):
    first = cluster_api.patch(f"/api/v1/namespaces/{namespace}", headers={"Content-Type": "application/merge-patch+json"},
                              json={"metadata": {"labels": {"step": "0"}}}).json()
    gone = int(first["metadata"]["resourceVersion"]) - 1
    for step in range(1, KEPT_REVISIONS + 10):
        cluster_api.patch(f"/api/v1/namespaces/{namespace}", headers={"Content-Type": "application/merge-patch+json"},
                          json={"metadata": {"labels": {"step": str(step)}}}).raise_for_status()
    answer = wait_for(lambda: (a := page.get(f"/api/at/{gone}")).status_code == 410 and a, timeout=20,
                      message=f"revision {gone} compacted")
    assert f"Revision {gone} is no longer kept" in answer.json()["message"]
    assert page.get("/api/timeline").json()["oldestRevision"] > gone


def test_since_a_revision_the_timeline_has_only_the_entries_after_it(cluster_api, page, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    create_pod(cluster_api, namespace, "earlier", node=node)
    before = page.get("/api/timeline", params={"limit": 50}).json()
    later = create_pod(cluster_api, namespace, "later", node=node)

    newer = page.get("/api/timeline", params={"limit": 50, "since": before["revision"]}).json()
    revisions = [e["revision"] for e in newer["entries"]]
    assert revisions == sorted(revisions) and all(r > before["revision"] for r in revisions)
    assert [e["name"] for e in newer["entries"] if e["resource"] == "pods" and e["namespace"] == namespace] == [
        "later"]
    assert newer["revision"] >= int(later["metadata"]["resourceVersion"]) and newer["oldestRevision"] >= 1
    assert not any(e["resource"].startswith("leases") for e in newer["entries"])

    nothing_new = page.get("/api/timeline", params={"since": newer["revision"]}).json()
    assert all(e["revision"] > newer["revision"] for e in nothing_new["entries"])
    capped = page.get("/api/timeline", params={"limit": 1, "since": before["revision"]}).json()["entries"]
    assert len(capped) == 1 and capped[0]["revision"] >= revisions[-1]  # the newest of them (others may write)


def test_a_since_that_is_not_a_revision_is_400_with_a_message(page):
    for bad in ("yesterday", "-1"):
        answer = page.get("/api/timeline", params={"since": bad})
        assert answer.status_code == 400 and "since" in answer.json()["message"], answer.text


def test_the_page_appends_what_is_new_asking_only_since_its_last_answer(cluster_api, dashboard, namespace):
    node = unique("node")
    create_hollow_node(cluster_api, node)
    with chromium() as browser:
        page = new_page(browser)
        asked: list[str] = []
        page.on("request", lambda request: "/api/timeline" in request.url and asked.append(request.url))
        page.goto(dashboard.url)
        entries = page.locator("#timeline-entries")
        expect(entries.locator("li[data-resource='nodes']", has_text=node)).to_have_count(1, timeout=20_000)
        create_pod(cluster_api, namespace, "appended", node=node)
        expect(entries.locator("li[data-resource='pods']", has_text=f"{namespace}/appended")).to_have_count(
            1, timeout=20_000)
        assert "since=" not in asked[0] and all("since=" in url for url in asked[1:]), asked
        expect(entries.locator("li[data-resource='nodes']", has_text=node)).to_have_count(1)  # kept, not doubled
