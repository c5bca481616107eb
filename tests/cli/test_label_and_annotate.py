"""`tkctl label` and `tkctl annotate` against a live master, beside the real kubectl on a twin object."""

from __future__ import annotations

import pytest


def make_pod(api, namespace: str, name: str, labels: dict | None = None) -> None:
    body = {"metadata": {"name": name, "labels": labels or {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json=body)
    assert response.status_code == 201, response.text


def metadata(api, namespace: str, name: str) -> dict:
    return api.get(f"/api/v1/namespaces/{namespace}/pods/{name}").json()["metadata"]


def same_as_kubectl(tkctl, kubectl, namespace: str, *args: str) -> None:
    """Run one operation on pod `ours` with tkctl and on pod `theirs` with kubectl; the outputs must match."""
    ours = tkctl(*[a.replace("POD", "ours") for a in args], "-n", namespace)
    theirs = kubectl(*[a.replace("POD", "theirs") for a in args], "-n", namespace, check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout.replace("theirs", "ours"), theirs.stderr.replace("theirs", "ours"))


@pytest.fixture
def twins(api, namespace):
    make_pod(api, namespace, "ours")
    make_pod(api, namespace, "theirs")


@pytest.mark.parametrize("steps", [
    [("label", "pod", "POD", "tier=fe")],
    [("label", "pod", "POD", "app=other")],
    [("label", "pod", "POD", "app=other", "--overwrite")],
    [("label", "pod", "POD", "app=web")],
    [("label", "pod/POD", "app-")],
    [("label", "pod", "POD", "gone-")],
    [("label", "pod", "POD", "a=b=c")],
    [("label", "pod", "POD", "k=bad value")],
    [("label", "pod", "POD", "a=1", "a-")],
    [("label", "pod", "POD")],
    [("label", "pod", "POD", "tier=fe"), ("label", "pod", "POD", "tier=be", "--overwrite")],
    [("annotate", "pod", "POD", "note=hi"), ("annotate", "pod", "POD", "note=ho")],
    [("annotate", "pod", "POD", "note=hi"), ("annotate", "pod", "POD", "note=ho", "--overwrite")],
    [("annotate", "pod", "POD", "note-")],
    [("annotate", "pod", "POD")],
])
def test_label_and_annotate_read_like_kubectl(tkctl, kubectl, api, namespace, twins, steps):
    for step in steps:
        same_as_kubectl(tkctl, kubectl, namespace, *step)
    ours, theirs = metadata(api, namespace, "ours"), metadata(api, namespace, "theirs")
    assert (ours.get("labels") or {}) == (theirs.get("labels") or {})
    assert (ours.get("annotations") or {}) == (theirs.get("annotations") or {})


def test_a_missing_pod_is_kubectls_not_found(tkctl, kubectl, namespace):
    ours = tkctl("label", "pod", "nope", "a=b", "-n", namespace)
    theirs = kubectl("label", "pod", "nope", "a=b", "-n", namespace, check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr) == \
        (1, 'Error from server (NotFound): pods "nope" not found\n')


def test_an_existing_key_without_overwrite_is_refused(tkctl, api, namespace):
    make_pod(api, namespace, "web")
    result = tkctl("label", "pod", "web", "app=other", "-n", namespace)
    assert (result.returncode, result.stderr) == \
        (1, "error: 'app' already has a value (web), and --overwrite is false\n")
    assert metadata(api, namespace, "web")["labels"] == {"app": "web"}


def test_several_conflicts_are_one_line_each_without_prefix(tkctl, api, namespace):
    make_pod(api, namespace, "web", labels={"a": "1", "b": "2"})
    result = tkctl("label", "pod", "web", "a=3", "b=4", "-n", namespace)
    assert result.returncode == 1
    assert sorted(result.stderr.splitlines()) == ["'a' already has a value (1), and --overwrite is false",
                                                  "'b' already has a value (2), and --overwrite is false"]


def test_a_selector_labels_every_match(tkctl, api, namespace):
    make_pod(api, namespace, "one", labels={"app": "web"})
    make_pod(api, namespace, "two", labels={"app": "web"})
    make_pod(api, namespace, "other", labels={"app": "db"})
    assert tkctl.ok("label", "pods", "-l", "app=web", "tier=fe", "-n", namespace) == \
        "pod/one labeled\npod/two labeled\n"
    assert "tier" not in metadata(api, namespace, "other")["labels"]
    assert tkctl.ok("annotate", "pods", "--all", "note=x", "-n", namespace).count("annotated") == 3


def test_label_without_resources_reads_like_kubectl(tkctl, kubectl, namespace):
    ours, theirs = tkctl("label", "a=b"), kubectl("label", "a=b", check=False)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)
