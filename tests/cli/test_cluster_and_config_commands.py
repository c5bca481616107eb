"""tkctl version, api-resources, cluster-info, config and completion, beside the real kubectl."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import yaml

from tests.support.cluster import free_port


@pytest.mark.parametrize("args", [
    ["api-resources"],
    ["api-resources", "-o", "wide"],
    ["api-resources", "-o", "name"],
    ["api-resources", "--namespaced=false"],
    ["api-resources", "--api-group=apps", "--no-headers"],
    ["api-resources", "--verbs=list,watch"],
    ["config", "view"],
    ["config", "view", "--minify"],
    ["config", "view", "-o", "json"],
    ["config", "get-contexts"],
    ["config", "get-contexts", "-o", "name"],
    ["config", "current-context"],
])
def test_output_is_kubectls(tkctl, kubectl, args):
    assert tkctl.ok(*args) == kubectl(*args).stdout


def test_config_view_raw_shows_the_file_as_it_is(tkctl, master):
    assert yaml.safe_load(tkctl.ok("config", "view", "--raw")) == \
        yaml.safe_load(master.kubeconfig.read_text()) | {"preferences": {}}


def test_config_hides_secrets_unless_raw(tkctl, master):
    token = master.token()
    assert token not in tkctl.ok("config", "view")
    assert token in tkctl.ok("config", "view", "--raw")


def test_use_context_switches_and_says_so(tkctl, master, tmp_path):
    kubeconfig = yaml.safe_load(master.kubeconfig.read_text())
    kubeconfig["contexts"].append({"name": "other", "context": dict(kubeconfig["contexts"][0]["context"],
                                                                    namespace="elsewhere")})
    target = tmp_path / "dotfiles" / "kubeconfig"
    target.parent.mkdir()
    target.write_text(yaml.safe_dump(kubeconfig))
    target.chmod(0o600)
    path = tmp_path / "kubeconfig"
    path.symlink_to(target)

    result = tkctl("config", "use-context", "other", kubeconfig=path)
    assert (result.returncode, result.stdout) == (0, 'Switched to context "other".\n')
    assert path.is_symlink()  # the file the link names is rewritten, not the link replaced
    assert target.stat().st_mode & 0o777 == 0o600  # replaced whole, keeping its mode
    assert tkctl("config", "current-context", kubeconfig=path).stdout == "other\n"
    contexts = tkctl("config", "get-contexts", kubeconfig=path).stdout.splitlines()
    assert [line.split() for line in contexts[1:]] == [["*", "other", "tinykube", "tinykube-admin", "elsewhere"],
                                                       ["tinykube", "tinykube", "tinykube-admin"]]


def test_config_errors_read_like_kubectls(tkctl, kubectl, master, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(master.kubeconfig.read_text())
    ours = tkctl("config", "use-context", "nope", kubeconfig=path)
    assert (ours.returncode, ours.stderr) == (1, 'error: no context exists with the name: "nope"\n')
    ours = tkctl("config", "get-contexts", "nope")
    theirs = kubectl("config", "get-contexts", "nope", check=False)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def test_version_shows_both_sides_and_the_server_matches_kubectls_view(tkctl, kubectl):
    ours = tkctl.ok("version").splitlines()
    theirs = kubectl("version").stdout.splitlines()
    assert ours[0].startswith("Client Version: v")
    assert ours[1] == next(line for line in theirs if line.startswith("Server Version:"))
    assert tkctl.ok("version", "--client").splitlines() == ours[:1]


def test_version_without_a_server_prints_the_client_then_the_error(tkctl, kubectl, master, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(master.kubeconfig.read_text().replace(master.url, f"https://127.0.0.1:{free_port()}"))
    ours = tkctl("version", kubeconfig=path)
    theirs = subprocess.run(["kubectl", "--kubeconfig", str(path), "version"], capture_output=True, text=True,
                            timeout=30)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout.startswith("Client Version: v")
    assert ours.stderr == theirs.stderr


def test_cluster_info_names_the_control_plane(tkctl, master):
    assert tkctl.ok("cluster-info").splitlines()[0] == f"Kubernetes control plane is running at {master.url}"


def complete(master, words: str) -> list[str]:
    """What bash completion proposes for the last word of `words`, as the shell asks for it."""
    env = os.environ | {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1),
                        "_TKCTL_COMPLETE": "bash_complete", "KUBECONFIG": str(master.kubeconfig)}
    result = subprocess.run([sys.executable, "-c", "from cli.main import main; main()"], env=env,
                            capture_output=True, text=True, timeout=30)
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_completion_proposes_kinds_then_live_names(master, api, namespace):
    for name in ("web-1", "web-2", "db"):
        pod = {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        assert api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).status_code == 201

    assert complete(master, "tkctl describe dep") == ["deployments"]
    assert complete(master, f"tkctl -n {namespace} describe pods we") == ["web-1", "web-2"]
    assert complete(master, f"tkctl -n {namespace} logs d") == ["db"]
    assert complete(master, f"tkctl -n {namespace} delete pods/w") == ["pods/web-1", "pods/web-2"]


def test_completion_scripts_for_bash_and_zsh(tkctl):
    assert "_TKCTL_COMPLETE=bash_complete" in tkctl.ok("completion", "bash")
    assert tkctl.ok("completion", "zsh").startswith("#compdef tkctl")


def test_completion_without_a_cluster_proposes_no_names(tmp_path):
    env = os.environ | {"COMP_WORDS": "tkctl describe pods ", "COMP_CWORD": "3", "_TKCTL_COMPLETE": "bash_complete",
                        "KUBECONFIG": str(tmp_path / f"missing-{uuid.uuid4().hex}")}
    result = subprocess.run([sys.executable, "-c", "from cli.main import main; main()"], env=env,
                            capture_output=True, text=True, timeout=30)
    assert (result.stdout.strip(), result.stderr) == ("", "")
