"""`tkctl get --at-revision N` and `--at TIME|DURATION` against a live master: the cluster as it was."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest

from cli.history.points import rfc3339
from tests.cli.conftest import Tkctl
from tests.cli.test_history_command import create_pod, label_pod
from tests.support.cluster import Master, wait_for

GAP_SECONDS = 6.0  # between two writes: the margin a duration ago has for tkctl's start-up
DURATION_AIM_SECONDS = 0.2  # after the first write that a duration ago aims at


def names(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines()[1:]]


@pytest.fixture
def before_and_after(api, namespace) -> tuple[str, str]:
    """Pod `first` alone and unlabelled at the first revision; `second` created and `first` labelled after."""
    then = create_pod(api, namespace, "first")["metadata"]["resourceVersion"]
    create_pod(api, namespace, "second")
    now = label_pod(api, namespace, "first", {"tier": "front"})["metadata"]["resourceVersion"]
    return then, now


def test_a_table_at_a_revision_lists_what_was_there_then(tkctl, namespace, before_and_after):
    then, _ = before_and_after
    assert names(tkctl.ok("get", "pods", "-n", namespace, "--at-revision", then)) == ["first"]
    assert names(tkctl.ok("get", "pods", "-n", namespace)) == ["first", "second"]


def test_json_at_a_revision_is_the_object_as_it_was_written_then(tkctl, namespace, before_and_after):
    then, now = before_and_after
    listed = json.loads(tkctl.ok("get", "pods", "-n", namespace, "--at-revision", then, "-o", "json"))
    assert [item["metadata"]["name"] for item in listed["items"]] == ["first"]
    single = json.loads(tkctl.ok("get", "pod/first", "-n", namespace, "--at-revision", then, "-o", "json"))
    assert single["kind"] == "Pod" and single["metadata"]["resourceVersion"] == then
    assert "labels" not in single["metadata"]
    current = json.loads(tkctl.ok("get", "pod/first", "-n", namespace, "--at-revision", now, "-o", "json"))
    assert current["metadata"]["labels"] == {"tier": "front"}


def test_other_formats_read_the_past_too(tkctl, namespace, before_and_after):
    then, _ = before_and_after
    assert tkctl.ok("get", "pods", "-n", namespace, "--at-revision", then, "-o", "name") == "pod/first\n"
    assert tkctl.ok("get", "pod", "first", "-n", namespace, "--at-revision", then,
                    "-o", "jsonpath={.metadata.resourceVersion}") == then
    both = tkctl("get", "pod", "first", "second", "-n", namespace, "--at-revision", then,
                 "-o", "custom-columns=NAME:.metadata.name")
    assert (both.returncode, names(both.stdout)) == (1, ["first"])  # and `second`'s NotFound, as kubectl goes on


def test_a_name_that_did_not_exist_then_is_not_found(tkctl, namespace, before_and_after):
    then, _ = before_and_after
    result = tkctl("get", "pod/second", "-n", namespace, "--at-revision", then)
    assert result.returncode == 1
    assert result.stderr == f'Error from server (NotFound): pods "second" not found at revision {then}\n'


def test_at_a_time_or_a_duration_ago_is_the_newest_revision_before_that_moment(tkctl, api, namespace):
    create_pod(api, namespace, "early")
    written = time.time()
    wait_for(lambda: time.time() - written > GAP_SECONDS, timeout=GAP_SECONDS + 5, message="the gap between writes")
    create_pod(api, namespace, "late")
    middle = rfc3339(datetime.fromtimestamp(written + GAP_SECONDS / 2, timezone.utc))
    assert names(tkctl.ok("get", "pods", "-n", namespace, "--at", middle)) == ["early"]
    # A duration counts back from tkctl's own clock when it starts, later than ours by its start-up:
    # aim just after the first write, so that a slow start (up to the whole gap) only moves the point
    # further into the gap (the old aim at its middle failed on a loaded machine).
    ago = time.time() - written - DURATION_AIM_SECONDS
    assert names(tkctl.ok("get", "pods", "-n", namespace, "--at", f"{ago:.3f}s")) == ["early"]
    assert names(tkctl.ok("get", "pods", "-n", namespace, "--at", "0s")) == ["early", "late"]


def test_watching_the_past_is_a_usage_error(tkctl, namespace):
    result = tkctl("get", "pods", "-n", namespace, "-w", "--at-revision", "1")
    assert result.returncode == 1 and result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [("--at", "yesterday"), ("--at-revision", "0"), ("--at", "5m", "--at-revision", "3")])
def test_a_bad_point_is_one_line_and_exit_1(tkctl, args):
    result = tkctl("get", "pods", *args)
    assert result.returncode == 1 and result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


@pytest.fixture(scope="module")
def compacting_master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("compacting") / "data",
                    extra_args=["--no-scheduler", "--compaction-keep", "5", "--compaction-interval", "0.2",
                                "--history-age", "0s"]).start()
    yield server
    server.stop()


def test_a_compacted_revision_is_the_servers_410_in_one_line(compacting_master):
    tkctl = Tkctl(compacting_master.kubeconfig)
    with compacting_master.client() as api:
        name = f"t-{uuid.uuid4().hex[:8]}"
        assert api.post("/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
        for index in range(10):
            create_pod(api, name, f"p{index}")
        wait_for(lambda: api.get("/api/v1/pods", params={"resourceVersion": "2", "resourceVersionMatch": "Exact"})
                 .status_code == 410, timeout=30, message="revision 2 compacted")
    result = tkctl("get", "pods", "-A", "--at-revision", "2")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error from server (Expired): ")
