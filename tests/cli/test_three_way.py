"""The apply patch, as a pure function of (last-applied, manifest, live)."""

import json

from cli.three_way import LAST_APPLIED, last_applied, three_way_merge_patch, with_last_applied

MANIFEST = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}


def applied_live(manifest):
    """What the server stores after creating the manifest: its defaults, status and metadata added."""
    obj = json.loads(json.dumps(with_last_applied(manifest)))
    obj["metadata"].update(uid="u-1", resourceVersion="7")
    obj["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    obj["spec"]["restartPolicy"] = "Always"
    obj["status"] = {"phase": "Pending"}
    return obj


def test_the_annotation_is_the_compact_sorted_manifest_with_empty_annotations():
    annotation = with_last_applied(MANIFEST)["metadata"]["annotations"][LAST_APPLIED]
    assert annotation == ('{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"labels":{"app":"web"},'
                          '"name":"web","namespace":"default"},"spec":{"containers":[{"image":"nginx:1.25",'
                          '"name":"app"}]}}\n')


def test_the_annotation_escapes_html_characters_as_go_does():
    manifest = {**MANIFEST, "metadata": {**MANIFEST["metadata"], "annotations": {"note": "a&b<c>"}}}
    assert '"note":"a\\u0026b\\u003cc\\u003e"' in with_last_applied(manifest)["metadata"]["annotations"][LAST_APPLIED]


def test_server_defaults_inside_lists_do_not_make_a_patch():
    live = applied_live(MANIFEST)
    assert three_way_merge_patch(last_applied(live), with_last_applied(MANIFEST), live) == {}


def test_a_changed_list_is_sent_whole():
    live = applied_live(MANIFEST)
    changed = json.loads(json.dumps(MANIFEST))
    changed["spec"]["containers"][0]["image"] = "nginx:1.26"
    patch = three_way_merge_patch(last_applied(live), with_last_applied(changed), live)
    assert patch["spec"] == {"containers": [{"name": "app", "image": "nginx:1.26"}]}


def test_a_field_dropped_from_the_manifest_is_deleted_and_others_fields_are_kept():
    live = applied_live(MANIFEST)
    live["metadata"]["labels"]["added-by-someone"] = "x"
    dropped = json.loads(json.dumps(MANIFEST))
    dropped["metadata"]["labels"] = {"tier": "front"}
    patch = three_way_merge_patch(last_applied(live), with_last_applied(dropped), live)
    assert patch["metadata"]["labels"] == {"app": None, "tier": "front"}


def test_live_drift_in_a_list_is_put_back():
    live = applied_live(MANIFEST)
    live["spec"]["containers"][0]["image"] = "changed-by-hand"
    patch = three_way_merge_patch(last_applied(live), with_last_applied(MANIFEST), live)
    assert patch == {"spec": {"containers": MANIFEST["spec"]["containers"]}}


def test_true_is_not_one():
    live = applied_live({**MANIFEST, "spec": {**MANIFEST["spec"], "hostNetwork": 1}})
    wanted = with_last_applied({**MANIFEST, "spec": {**MANIFEST["spec"], "hostNetwork": True}})
    assert three_way_merge_patch(last_applied(live), wanted, live)["spec"]["hostNetwork"] is True
