"""Formatting that must match kubectl byte for byte: error messages, tables, describe alignment, kubeconfig."""

import base64

import pytest
import yaml

from cli.errors import CommandError, ServerError, message_for
from cli.kubeconfig import find_kubeconfig, load
from cli.tabwriter import align


def test_an_invalid_status_reads_as_kubectl_prints_it():
    # the Status a real apiserver sends (KUBERNETES_API.md §4): causes carry the field separately
    status = {"kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
              "message": 'Pod "applied" is invalid: spec.containers[0].image: Invalid value: "INVALID": bad image',
              "details": {"name": "applied", "kind": "Pod", "causes": [
                  {"reason": "FieldValueInvalid", "message": 'Invalid value: "INVALID": bad image',
                   "field": "spec.containers[0].image"}]}}
    error = ServerError.from_status(422, status).when("creating", "pod.yaml")
    assert message_for(error) == \
        'The Pod "applied" is invalid: spec.containers[0].image: Invalid value: "INVALID": bad image'


def test_several_causes_are_listed_one_per_line():
    error = ServerError(422, "Invalid", "x", {"kind": "Pod", "name": "p", "causes": [
        {"field": "a", "message": "Required value"}, {"field": "b", "message": "b: Required value"}]})
    assert message_for(error) == 'The Pod "p" is invalid: \n* a: Required value\n* b: Required value'


def test_a_body_that_is_not_a_status_still_names_the_reason():
    assert message_for(ServerError.from_status(404, None, "404 page not found")) == \
        "Error from server (NotFound): 404 page not found"
    assert message_for(CommandError("boom")) == "error: boom"


def test_tables_pad_three_spaces_and_never_pad_the_last_column():
    assert align([["NAME", "READY", "AGE"], ["web", "0/1", "5s"]], padding=3, min_width=6) == \
        "NAME   READY   AGE\nweb    0/1     5s\n"
    assert align([["A", "B"], ["x", "y"]], padding=3, min_width=6) == "A     B\nx     y\n"


def test_a_line_without_a_tab_ends_an_alignment_block():
    assert align([["Name:", "web"], ["Containers:"], ["  Image:", "nginx"]], padding=2) == \
        "Name:  web\nContainers:\n  Image:  nginx\n"


def write_kubeconfig(path, *, server="https://example:6443", token="t", namespace=None):
    context = {"cluster": "c", "user": "u", **({"namespace": namespace} if namespace else {})}
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "main",
        "clusters": [{"name": "c", "cluster": {"server": server,
                                                "certificate-authority-data": base64.b64encode(b"PEM").decode()}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "main", "context": context}, {"name": "other", "context": {**context, "namespace": "o"}}],
    }))
    return path


def test_kubeconfig_lookup_order(tmp_path):
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".tinykube").mkdir()
    kube = write_kubeconfig(home / ".kube" / "config")
    tiny = write_kubeconfig(home / ".tinykube" / "admin.kubeconfig")
    env = write_kubeconfig(tmp_path / "env.kubeconfig")
    flag = write_kubeconfig(tmp_path / "flag.kubeconfig")

    assert find_kubeconfig(str(flag), environ={"KUBECONFIG": str(env)}, home=home) == flag
    assert find_kubeconfig(None, environ={"KUBECONFIG": f"/nope:{env}"}, home=home) == env
    assert find_kubeconfig(None, environ={}, home=home) == tiny
    tiny.unlink()
    assert find_kubeconfig(None, environ={}, home=home) == kube


def test_a_context_picks_cluster_user_and_namespace(tmp_path):
    path = write_kubeconfig(tmp_path / "config", token="secret")
    access = load(path)
    assert (access.server, access.ca_pem, access.token, access.namespace) == \
        ("https://example:6443", "PEM", "secret", "default")
    assert load(path, context="other").namespace == "o"
    with pytest.raises(CommandError, match="context was not found for specified context: nope"):
        load(path, context="nope")
