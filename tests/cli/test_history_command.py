"""`tkctl history` against a live master: an object's revisions with their diff lines, the cluster's
log followed as it grows, and step mode driven through a pipe."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.test_get_watch_and_sort import Watcher
from tests.support.cluster import Master, wait_for

FOLLOW_TIMEOUT = 60  # seconds; the machine is shared, and tkctl starts slowly under load


def pod(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]}}


def create_pod(api, namespace: str, name: str) -> dict:
    response = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod(name))
    assert response.status_code == 201, response.text
    return response.json()


def label_pod(api, namespace: str, name: str, labels: dict[str, str | None]) -> dict:
    response = api.patch(f"/api/v1/namespaces/{namespace}/pods/{name}", json={"metadata": {"labels": labels}},
                         headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def relabelled(api, namespace) -> list[str]:
    """A pod created, labelled, then relabelled: its three resourceVersions."""
    versions = [create_pod(api, namespace, "web")["metadata"]["resourceVersion"]]
    versions.append(label_pod(api, namespace, "web", {"tier": "front"})["metadata"]["resourceVersion"])
    versions.append(label_pod(api, namespace, "web", {"tier": "back", "app": "web"})["metadata"]["resourceVersion"])
    return versions


def test_a_pods_history_is_a_block_per_revision_with_its_diff_lines(tkctl, namespace, relabelled):
    page = tkctl.ok("history", "pod/web", "-n", namespace)
    headers = [line for line in page.splitlines() if line.startswith("revision ")]
    assert [line.split()[1] for line in headers] == relabelled
    assert " ADDED by " in headers[0] and " MODIFIED by " in headers[1]
    assert '  + metadata.labels: {"tier":"front"}' in page.splitlines()  # a new map is one change
    assert "    metadata.labels.tier: front -> back" in page.splitlines()
    assert "  + metadata.labels.app: web" in page.splitlines()


def test_a_pods_history_as_json_is_the_servers_revision_list(tkctl, namespace, relabelled):
    answer = json.loads(tkctl.ok("history", "pods", "web", "-n", namespace, "-o", "json"))
    assert answer["kind"] == "RevisionList"
    assert [str(item["revision"]) for item in answer["items"]] == relabelled


def test_the_cluster_log_followed_prints_a_write_made_after_it_started(tkctl, master, api, namespace):
    follower = Watcher([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig),
                        "history", "--cluster", "--since", "10s", "--follow"])
    try:
        follower.wait_for_lines(1, "the log's header")
        create_pod(api, namespace, "late")
        wait_for(lambda: f"{namespace}/late" in follower.stdout, timeout=FOLLOW_TIMEOUT, interval=0.1,
                 message=lambda: f"the new pod in the followed log: {follower.stdout!r} {''.join(follower.err)!r}")
        line = next(line for line in follower.out if f"{namespace}/late" in line)
        assert line.split()[3:6] == ["create", "pods", f"{namespace}/late"] and line.rstrip().endswith("created")
        assert follower.interrupt() == 0  # Ctrl-C ends it quietly
        assert not "".join(follower.err).strip()
    finally:
        follower.stop()


def test_following_the_cluster_log_outlives_a_master_restart(tmp_path):
    """Guards a bug: the first failed poll while the master was down ended --follow with an error."""
    server = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    follower = Watcher([sys.executable, "-m", "cli.main", "--kubeconfig", str(server.kubeconfig),
                        "history", "--cluster", "--follow"])
    try:
        follower.wait_for_lines(1, "the log's header")
        server.stop()
        wait_for(lambda: "still following" in "".join(follower.err), timeout=FOLLOW_TIMEOUT, interval=0.1,
                 message=lambda: f"the failed poll said on stderr: {''.join(follower.err)!r}")
        server.start()
        with server.client() as api:
            assert api.post("/api/v1/namespaces", json={"metadata": {"name": "restarted"}}).status_code == 201
            create_pod(api, "restarted", "after")
        wait_for(lambda: "restarted/after" in follower.stdout, timeout=FOLLOW_TIMEOUT, interval=0.1,
                 message=lambda: f"the new pod in the followed log: {follower.stdout!r} {''.join(follower.err)!r}")
        assert "".join(follower.err).count("still following") == 1  # said once, not at every poll
        assert follower.interrupt() == 0
    finally:
        follower.stop()
        server.stop()


def test_step_mode_reads_one_key_per_line_from_a_pipe(tkctl, namespace, relabelled):
    result = tkctl("history", "pod/web", "-n", namespace, "--step", input="\nj\nk\nq\n")
    assert result.returncode == 0, result.stderr
    steps = [line.split("]")[0] for line in result.stdout.splitlines() if line.startswith("[")]
    assert steps == ["[1/3", "[2/3", "[3/3", "[2/3"]
    assert "  because:  nothing it reported: a person's command, a timer, or a first sync" in result.stdout


def test_step_mode_from_an_empty_window_finds_a_revision_written_while_it_waits(master, api, namespace):
    """Guards a bug: stepping an object's empty --since window kept showing the first, empty answer."""
    stepper = subprocess.Popen([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig),
                                "history", "pod/later", "-n", namespace, "--since", "1m", "--step"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = stepper.stdout.readline()
        assert first.startswith("(no revision yet"), first + stepper.stderr.read()
        create_pod(api, namespace, "later")
        rest, err = stepper.communicate("\nq\n", timeout=FOLLOW_TIMEOUT)
        assert stepper.returncode == 0, err
        assert rest.lstrip().startswith("[1/1] revision "), rest
        assert f"ADDED pods {namespace}/later" in rest
    finally:
        if stepper.poll() is None:
            stepper.kill()
            stepper.wait()


def test_step_mode_ends_when_the_pipe_does(tkctl, namespace, relabelled):
    result = tkctl("history", "pod/web", "-n", namespace, "--step", input="")
    assert result.returncode == 0 and result.stdout.startswith("[1/3] revision ")


@pytest.mark.parametrize("args", [
    (),
    ("pod/a", "pod/b"),
    ("pod/a", "--follow"),
    ("--cluster", "pod/a"),
    ("--cluster", "--since", "soon"),
    ("--cluster", "-o", "wide"),
    ("--cluster", "--step", "--follow"),
])
def test_bad_input_is_one_line_and_exit_1(tkctl, args):
    result = tkctl("history", *args)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")


def test_an_object_with_no_revision_kept_is_one_line_and_exit_1(tkctl, namespace):
    result = tkctl("history", "pod/nothing", "-n", namespace)
    assert result.returncode == 1, result.stderr
    assert result.stderr == f'error: no revision of pods "nothing" is kept: it never existed in {namespace} ' \
                            "or went before the retention\n"
