"""`tkctl create deployment|namespace` and `tkctl scale`, against a live master, beside the real kubectl."""

from __future__ import annotations

import json
import uuid

import pytest

from cli.commands.create import container_name


def deployment(api, namespace: str, name: str) -> dict:
    response = api.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    assert response.status_code == 200, response.text
    return response.json()


def comparable(obj: dict) -> dict:
    """What the user asked for: the object without what the server stamps on it."""
    metadata = {k: v for k, v in obj["metadata"].items() if k in ("name", "labels", "namespace")}
    return {"metadata": metadata, "spec": obj["spec"]}


def test_create_deployment_builds_what_kubectl_builds(tkctl, kubectl, api, namespace):
    assert tkctl.ok("create", "deployment", "ours", "--image=tinykube/bootcamp:v1", "--port=8080",
                    "-n", namespace) == "deployment.apps/ours created\n"
    assert kubectl("create", "deployment", "theirs", "--image=tinykube/bootcamp:v1", "--port=8080",
                   "-n", namespace).stdout == "deployment.apps/theirs created\n"
    ours = json.dumps(comparable(deployment(api, namespace, "ours")))
    theirs = json.dumps(comparable(deployment(api, namespace, "theirs")))
    assert ours == theirs.replace("theirs", "ours")


def test_create_deployment_with_replicas_and_several_images(tkctl, api, namespace):
    tkctl.ok("create", "deployment", "pair", "--image=nginx:1.27", "--image=registry.k8s.io/busybox", "-r", "3",
             "-n", namespace)
    spec = deployment(api, namespace, "pair")["spec"]
    assert spec["replicas"] == 3
    assert [c["name"] for c in spec["template"]["spec"]["containers"]] == ["nginx", "busybox"]


def test_create_deployment_refuses_a_port_with_several_images(tkctl, namespace):
    result = tkctl("create", "deployment", "x", "--image=a", "--image=b", "--port=80", "-n", namespace)
    assert (result.returncode, result.stderr) == (1, "error: cannot specify port with multiple images\n")


def test_creating_an_existing_deployment_is_kubectls_error(tkctl, namespace):
    tkctl.ok("create", "deployment", "web", "--image=nginx", "-n", namespace)
    result = tkctl("create", "deployment", "web", "--image=nginx", "-n", namespace)
    assert result.returncode == 1
    assert result.stderr == 'Error from server (AlreadyExists): deployments.apps "web" already exists\n'


def test_create_namespace(tkctl, api):
    name = f"t-{uuid.uuid4().hex[:8]}"
    try:
        assert tkctl.ok("create", "namespace", name) == f"namespace/{name} created\n"
        assert api.get(f"/api/v1/namespaces/{name}").status_code == 200
    finally:
        api.delete(f"/api/v1/namespaces/{name}")


def test_create_without_a_file_or_a_generator_is_an_error(tkctl):
    result = tkctl("create")
    assert (result.returncode, result.stderr) == (1, "error: must specify one of -f and -k\n")


@pytest.mark.parametrize(("image", "name"), [
    ("gcr.io/google-samples/kubernetes-bootcamp:v1", "kubernetes-bootcamp"),
    ("nginx", "nginx"),
    ("registry.local:5000/team/App_Server@sha256:abc", "app-server"),
])
def test_a_generated_container_is_named_after_its_image(image, name):
    assert container_name(image) == name


def test_scale_sets_the_replicas_through_the_scale_subresource(tkctl, api, namespace):
    tkctl.ok("create", "deployment", "web", "--image=nginx", "-n", namespace)
    assert tkctl.ok("scale", "deployment", "web", "--replicas=4", "-n", namespace) == "deployment.apps/web scaled\n"
    assert deployment(api, namespace, "web")["spec"]["replicas"] == 4
    assert tkctl.ok("scale", "deploy/web", "--replicas=0", "-n", namespace) == "deployment.apps/web scaled\n"
    assert deployment(api, namespace, "web")["spec"]["replicas"] == 0


def test_scale_with_a_wrong_current_replicas_changes_nothing(tkctl, api, namespace):
    tkctl.ok("create", "deployment", "web", "--image=nginx", "-n", namespace)
    result = tkctl("scale", "deployment", "web", "--replicas=5", "--current-replicas=2", "-n", namespace)
    assert (result.returncode, result.stderr) == (1, "error: Expected replicas to be 2, was 1\n")
    assert deployment(api, namespace, "web")["spec"]["replicas"] == 1


def test_scaling_a_missing_deployment_reads_like_kubectl(tkctl, kubectl, namespace):
    ours = tkctl("scale", "deployment", "nope", "--replicas=1", "-n", namespace)
    theirs = kubectl("scale", "deployment", "nope", "--replicas=1", "-n", namespace, check=False)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr.splitlines()[0] == theirs.stderr.splitlines()[0]


def test_scaling_a_pod_is_refused(tkctl, namespace):
    result = tkctl("scale", "pod", "web", "--replicas=2", "-n", namespace)
    assert result.returncode == 1
    assert "cannot scale" in result.stderr
