"""`tkctl diff --from --to` against a live master: what was created, deleted and changed between two points."""

from __future__ import annotations

from tests.cli.test_history_command import create_pod, label_pod


def newest_revision(api) -> str:
    return api.get("/api/v1/namespaces").json()["metadata"]["resourceVersion"]


def ours(output: str, namespace: str) -> list[str]:
    return [line for line in output.splitlines() if f" {namespace}/" in line]


def test_the_cluster_between_two_points_is_a_line_per_created_deleted_and_changed_object(tkctl, api, namespace):
    create_pod(api, namespace, "gone")
    create_pod(api, namespace, "kept")
    start = newest_revision(api)
    create_pod(api, namespace, "new")
    deleted = api.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/gone", json={"gracePeriodSeconds": 0})
    assert deleted.status_code == 200, deleted.text
    label_pod(api, namespace, "kept", {"tier": "front"})
    end = newest_revision(api)

    output = tkctl.ok("diff", "--from", start, "--to", end)
    assert output.splitlines()[0] == f"from revision {start} to revision {end}:"
    assert ours(output, namespace) == [f"- pods {namespace}/gone",
                                       f"~ pods {namespace}/kept: +metadata.labels={{\"tier\":\"front\"}}",
                                       f"+ pods {namespace}/new"]
    assert ours(tkctl.ok("diff", "--from", start), namespace) == ours(output, namespace)  # --to: now
    assert not ours(tkctl.ok("diff", "--from", end, "--to", end), namespace)


def test_events_and_lease_renewals_are_left_out_unless_all(tkctl, api, namespace):
    leases = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
    lease = {"metadata": {"name": "holder"}, "spec": {"holderIdentity": "me", "renewTime": "2026-12-05T12:00:00.000000Z"}}
    assert api.post(leases, json=lease).status_code == 201
    start = newest_revision(api)
    renewed = api.patch(f"{leases}/holder", json={"spec": {"renewTime": "2026-12-05T12:00:10.000000Z"}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert renewed.status_code == 200, renewed.text
    event = {"metadata": {"name": "noted"}, "involvedObject": {"kind": "Pod", "name": "x", "namespace": namespace},
             "reason": "Noted", "message": "something happened", "type": "Normal"}
    posted = api.post(f"/api/v1/namespaces/{namespace}/events", json=event)
    assert posted.status_code == 201, posted.text
    create_pod(api, namespace, "kept")
    end = newest_revision(api)

    assert ours(tkctl.ok("diff", "--from", start, "--to", end), namespace) == [f"+ pods {namespace}/kept"]
    assert ours(tkctl.ok("diff", "--from", start, "--to", end, "--all"), namespace) == [
        f"+ pods {namespace}/kept",
        f"+ events {namespace}/noted",
        f"~ leases.coordination.k8s.io {namespace}/holder: "
        "spec.renewTime 2026-12-05T12:00:00.000000Z -> 2026-12-05T12:00:10.000000Z",
    ]


def test_diff_of_a_file_is_kubectls_and_says_so(tkctl, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")
    result = tkctl("diff", "-f", str(manifest))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert "tkctl diff compares two points of the cluster" in result.stderr


def test_from_after_to_and_a_missing_from_are_one_line_errors(tkctl, api):
    end = newest_revision(api)
    for args in (("--from", end, "--to", "1"), (), ("--from", "later")):
        result = tkctl("diff", *args)
        assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, (args, result.stderr)
