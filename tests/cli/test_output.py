"""Formatting that must match kubectl byte for byte: error messages, tables, describe alignment, kubeconfig."""

import base64

import pytest
import yaml

from apiclient import ApiStatusError, KubeconfigError, Unreachable, find_kubeconfig, load_kubeconfig
from apiclient.errors import status_error
from cli.errors import CommandError, message_for
from cli.tabwriter import align
from objects.status import Status, StatusCause, StatusDetails


def test_an_invalid_status_reads_as_kubectl_prints_it():
    # the Status a real apiserver sends (KUBERNETES_API.md §4): causes carry the field separately
    status = {"kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
              "message": 'Pod "applied" is invalid: spec.containers[0].image: Invalid value: "INVALID": bad image',
              "details": {"name": "applied", "kind": "Pod", "causes": [
                  {"reason": "FieldValueInvalid", "message": 'Invalid value: "INVALID": bad image',
                   "field": "spec.containers[0].image"}]}}
    error = status_error(422, status).when("creating", "pod.yaml")
    assert message_for(error) == \
        'The Pod "applied" is invalid: spec.containers[0].image: Invalid value: "INVALID": bad image'


def test_several_causes_are_listed_one_per_line():
    causes = [StatusCause(field="a", message="Required value"), StatusCause(field="b", message="b: Required value")]
    error = ApiStatusError(422, "Invalid", "x", Status.failure(422, "Invalid", "x", StatusDetails(
        kind="Pod", name="p", causes=causes)))
    assert message_for(error) == 'The Pod "p" is invalid: \n* a: Required value\n* b: Required value'


def test_a_body_that_is_not_a_status_still_names_the_reason():
    assert message_for(status_error(404, None, "404 page not found")) == \
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


def test_a_refused_connection_and_any_other_failure_read_as_kubectl_words_them():
    refused = Unreachable("GET /version", server="127.0.0.1:1", cause="[Errno 111] Connection refused", refused=True)
    assert message_for(refused) == \
        "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?"
    timed_out = Unreachable("GET /version", server="10.0.0.1:6443", cause="ConnectTimeout")
    assert message_for(timed_out) == "Unable to connect to the server: ConnectTimeout"


def test_kubeconfig_lookup_order(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".tinykube").mkdir()
    kube = write_kubeconfig(home / ".kube" / "config")
    tiny = write_kubeconfig(home / ".tinykube" / "admin.kubeconfig")
    env = write_kubeconfig(tmp_path / "env.kubeconfig")
    flag = write_kubeconfig(tmp_path / "flag.kubeconfig")
    monkeypatch.setenv("HOME", str(home))

    monkeypatch.setenv("KUBECONFIG", str(env))
    assert find_kubeconfig(str(flag)) == flag
    monkeypatch.setenv("KUBECONFIG", f"/nope:{env}")
    assert find_kubeconfig() == env
    monkeypatch.delenv("KUBECONFIG")
    assert find_kubeconfig() == tiny
    tiny.unlink()
    assert find_kubeconfig() == kube


def test_a_kubeconfig_env_naming_no_existing_file_is_not_passed_over_for_the_defaults(tmp_path, monkeypatch):
    # as kubectl: a $KUBECONFIG that is set is the whole search, even when none of its files exist
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    write_kubeconfig(home / ".kube" / "config")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/nope:{tmp_path}/neither")
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        find_kubeconfig()


def test_a_missing_kubeconfig_flag_reads_as_kubectl_words_it(tmp_path):
    with pytest.raises(KubeconfigError) as raised:
        find_kubeconfig(str(tmp_path / "absent"))
    assert message_for(raised.value) == f"error: stat {tmp_path / 'absent'}: no such file or directory"


def test_a_context_picks_cluster_user_and_namespace(tmp_path):
    path = write_kubeconfig(tmp_path / "config", token="secret")
    connection = load_kubeconfig(path)
    assert (connection.server, connection.ca_pem, connection.token, connection.namespace) == \
        ("https://example:6443", b"PEM", "secret", "default")
    assert load_kubeconfig(path, context="other").namespace == "o"
    with pytest.raises(KubeconfigError, match="context was not found for specified context: nope"):
        load_kubeconfig(path, context="nope")
