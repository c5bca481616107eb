"""The ContainerRuntime contract, held against both the fake and the Docker runtime.

Each test runs once per runtime. The few claims only a real engine can show are
marked `docker_only`; the fake's side of them (what it records) is tested in a
shared test where one exists.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import urllib.request

import pytest

from kubelet.runtime.docker_runtime import DockerRuntime
from kubelet.runtime.fake import FakeImage, FakeRuntime
from kubelet.runtime.protocol import (
    ContainerNotFound,
    CreateFailed,
    ImageNotPresent,
    ImagePullFailed,
    Mount,
    PortMapping,
    RuntimeFailure,
    SandboxSpec,
)
from tests.support.cluster import wait_for
from tests.support.images import BUSYBOX_IMAGE, ENTRYPOINT_IMAGE, PAUSE_IMAGE

docker_only = pytest.mark.parametrize("runtime", ["docker"], indirect=True)
fake_only = pytest.mark.parametrize("runtime", ["fake"], indirect=True)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")  # as precise as the engine reports
RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
RFC3339_NANO_LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (.*)$")
UNREACHABLE_IMAGE = "127.0.0.1:1/nope:1"  # a registry that refuses connections: fails fast, with no name to resolve
WAIT_FOREVER = ["sleep", "3600"]
# Traps TERM as PID 1, says when the trap is set, and waits in a way a signal interrupts.
BUSY_LOOP = ["sh", "-c", "while :; do :; done"]
NANO_CORES_PER_CORE = 1_000_000_000
TRAPS_TERM = ["sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait; done"]


# ----- sandboxes and the pod network

def test_a_sandbox_gets_an_ip_on_the_network(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    assert sandbox.running
    assert ipaddress.ip_address(sandbox.ip).version == 4
    assert sandbox.pod == pod
    assert [s.id for s in harness.runtime.list_sandboxes(pod.node_name)] == [sandbox.id]


def test_a_stopped_sandbox_has_no_ip(harness):
    sandbox = harness.sandbox(harness.pod())

    harness.runtime.stop_sandbox(sandbox.id)

    [listed] = harness.runtime.list_sandboxes(sandbox.pod.node_name)
    assert (listed.running, listed.ip) == (False, "")


def test_list_sandboxes_can_narrow_to_one_pod(harness):
    mine, other = harness.pod("mine"), harness.pod("other")
    sandbox = harness.sandbox(mine)
    harness.sandbox(other)

    assert [s.id for s in harness.runtime.list_sandboxes(mine.node_name, pod_uid=mine.uid)] == [sandbox.id]
    assert len(harness.runtime.list_sandboxes(mine.node_name)) == 2


@docker_only
def test_a_runtime_with_an_owner_sees_only_that_owners_pods(harness):
    """Two clusters on one engine may both have a node-1: each kubelet must see only its own pods."""
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    harness.run(pod, sandbox, command=WAIT_FOREVER)

    same_owner = DockerRuntime(harness.docker_client, owner=harness.owner)
    other_owner = DockerRuntime(harness.docker_client, owner=f"other-{harness.owner}")

    assert [s.id for s in same_owner.list_sandboxes(pod.node_name)] == [sandbox.id]
    assert len(same_owner.list_containers(pod.node_name)) == 1
    assert other_owner.list_sandboxes(pod.node_name) == []
    assert other_owner.list_containers(pod.node_name) == []


def test_containers_join_their_sandbox_network_namespace(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    container_id = harness.create(pod, sandbox, command=WAIT_FOREVER)

    assert harness.network_namespace(container_id) == sandbox.id


@docker_only
def test_containers_of_a_pod_reach_each_other_on_localhost(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    harness.run(pod, sandbox, "server", command=[
        "sh", "-c", "mkdir /www && echo hello > /www/index.html && httpd -f -p 8080 -h /www"])

    client = harness.run_to_exit(pod, sandbox, "client", command=[
        "sh", "-c", "until wget -q -O - http://localhost:8080/; do sleep 0.2; done"])

    assert client.exit_code == 0
    assert harness.output(client.id) == b"hello\n"


@docker_only
def test_a_host_port_reaches_the_pod(harness):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host_port = probe.getsockname()[1]
    pod = harness.pod()
    sandbox = harness.sandbox(pod, port_mappings=(PortMapping(container_port=8080, host_port=host_port),))
    harness.run(pod, sandbox, "server", command=[
        "sh", "-c", "mkdir /www && echo hello > /www/index.html && httpd -f -p 8080 -h /www"])

    def fetch() -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=2) as response:
            return response.read()

    assert wait_for(fetch, timeout=20, message="the hostPort to answer") == b"hello\n"


# ----- what the process sees

@pytest.mark.parametrize(("command", "args", "expected"), [
    (None, None, b"entrypoint default cmd\n"),
    (None, ["x"], b"entrypoint x\n"),
    (["echo", "c"], None, b"c\n"),
    (["echo", "c"], ["x"], b"c x\n"),
], ids=["image-defaults", "args-replace-cmd", "command-drops-cmd", "command-and-args"])
def test_command_replaces_the_entrypoint_and_args_replace_the_cmd(harness, command, args, expected):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    status = harness.run_to_exit(pod, sandbox, image=ENTRYPOINT_IMAGE, command=command, args=args)

    assert harness.output(status.id) == expected


def test_env_and_working_dir_are_visible_to_the_process(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    status = harness.run_to_exit(pod, sandbox, command=["sh", "-c", "echo $A; pwd"],
                                 env=(("A", "hello"),), working_dir="/work")

    assert harness.output(status.id) == b"hello\n/work\n"


def test_an_empty_dir_is_shared_by_the_containers_of_a_pod(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    data = harness.volume(pod, container_path="/data")

    writer = harness.run_to_exit(pod, sandbox, "writer", command=["sh", "-c", "echo shared > /data/f"], mounts=(data,))
    reader = harness.run_to_exit(pod, sandbox, "reader", command=["cat", "/data/f"], mounts=(data,))

    assert (writer.exit_code, reader.exit_code) == (0, 0)
    assert harness.output(reader.id) == b"shared\n"


def test_a_memory_empty_dir_outlives_the_container_that_wrote_it(harness):
    # Guards against Docker unmounting the tmpfs, files and all, once the writer exited.
    pod = harness.pod()
    memory = Mount(source=harness.runtime.volume_source(pod, "cache", medium="Memory"), container_path="/cache")
    sandbox = harness.sandbox(pod, volumes=(memory.source,))

    harness.run_to_exit(pod, sandbox, "writer", command=["sh", "-c", "echo fast > /cache/f"], mounts=(memory,))
    reader = harness.run_to_exit(pod, sandbox, "reader", command=["cat", "/cache/f"], mounts=(memory,))

    assert harness.output(reader.id) == b"fast\n"


@docker_only
def test_a_memory_empty_dir_is_a_tmpfs(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    memory = Mount(source=harness.runtime.volume_source(pod, "cache", medium="Memory"), container_path="/cache")

    status = harness.run_to_exit(pod, sandbox, command=["grep", " /cache ", "/proc/mounts"], mounts=(memory,))

    assert harness.output(status.id).startswith(b"tmpfs /cache tmpfs")


@pytest.mark.parametrize("medium", ["", "Memory"])
def test_a_sub_path_mounts_a_directory_of_the_volume(harness, medium):
    # Docker 20.10 cannot mount a volume subpath: the runtime binds the volume's mountpoint + subPath.
    pod = harness.pod()
    source = harness.runtime.volume_source(pod, "data", medium=medium)
    sandbox = harness.sandbox(pod, volumes=(source,))

    harness.run_to_exit(pod, sandbox, "writer", command=["sh", "-c", "echo deep > /data/f"],
                        mounts=(Mount(source=source, container_path="/data", sub_path="sub"),))
    reader = harness.run_to_exit(pod, sandbox, "reader", command=["cat", "/volume/sub/f"],
                                 mounts=(Mount(source=source, container_path="/volume"),))

    assert harness.output(reader.id) == b"deep\n"


def test_a_sub_path_may_not_leave_its_volume(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    escaping = Mount(source=harness.runtime.volume_source(pod, "data"), container_path="/data", sub_path="../..")

    with pytest.raises(CreateFailed):
        harness.create(pod, sandbox, command=WAIT_FOREVER, mounts=(escaping,))


def test_a_read_only_mount_refuses_writes(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    data = harness.volume(pod, container_path="/data", read_only=True)

    status = harness.run_to_exit(pod, sandbox, command=["sh", "-c", "echo x > /data/f"], mounts=(data,))

    assert (status.exit_code, status.reason) == (1, "Error")
    assert b"Read-only file system" in harness.output(status.id)


# ----- exits and stops

@pytest.mark.parametrize(("code", "reason"), [(0, "Completed"), (3, "Error")])
def test_the_exit_code_gives_the_reason(harness, code, reason):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    status = harness.run_to_exit(pod, sandbox, command=["sh", "-c", f"exit {code}"], restart_count=2)

    assert (status.state, status.exit_code, status.reason) == ("exited", code, reason)
    assert RFC3339.match(status.started_at) and RFC3339.match(status.finished_at)
    assert status.restart_count == 2
    assert status.image == BUSYBOX_IMAGE and status.image_id == harness.runtime.image_id(BUSYBOX_IMAGE)


def test_a_created_container_has_not_started(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    status = harness.runtime.container_status(harness.create(pod, sandbox, command=WAIT_FOREVER))

    assert (status.state, status.started_at, status.finished_at, status.reason) == ("created", "", "", "")


def test_a_container_over_its_memory_limit_is_oom_killed(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    # dd allocates its whole 64 MiB block at once, which is killed at once (a growing `tail` thrashes for seconds).
    container_id = harness.run(pod, sandbox, command=["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                               memory_limit_bytes=8 * 1024 * 1024)
    harness.simulate_oom(container_id)

    status = harness.wait_exited(container_id)

    assert (status.exit_code, status.reason) == (137, "OOMKilled")


def test_stop_lets_a_process_that_traps_term_exit_before_the_grace(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    container_id = harness.run(pod, sandbox, command=TRAPS_TERM)
    harness.wait_output(container_id, "ready")

    started = time.monotonic()
    harness.runtime.stop_container(container_id, grace_seconds=10)

    assert time.monotonic() - started < 5
    status = harness.runtime.container_status(container_id)
    assert (status.state, status.exit_code, status.reason) == ("exited", 0, "Completed")


def test_stop_kills_a_process_that_ignores_term_after_the_grace(harness):
    # As PID 1, `sleep` ignores SIGTERM: only the SIGKILL after the grace ends it.
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    container_id = harness.run(pod, sandbox, command=WAIT_FOREVER)

    started = time.monotonic()
    harness.runtime.stop_container(container_id, grace_seconds=1)
    elapsed = time.monotonic() - started

    assert 0.9 <= elapsed < 5
    status = harness.runtime.container_status(container_id)
    assert (status.state, status.exit_code, status.reason) == ("exited", 137, "Error")
    harness.runtime.stop_container(container_id, grace_seconds=1)  # idempotent on a stopped container


# ----- listing

def test_list_containers_shows_only_this_nodes_app_containers_newest_first(harness):
    pod_a, other_pod_a, pod_b = harness.pod("a1", node="a"), harness.pod("a2", node="a"), harness.pod(node="b")
    sandbox_a, other_sandbox_a, sandbox_b = map(harness.sandbox, (pod_a, other_pod_a, pod_b))
    first = harness.create(pod_a, sandbox_a, "first", command=WAIT_FOREVER)
    second = harness.create(pod_a, sandbox_a, "second", command=WAIT_FOREVER, restart_count=1)
    other = harness.create(other_pod_a, other_sandbox_a, "other", command=WAIT_FOREVER)
    harness.create(pod_b, sandbox_b, "b", command=WAIT_FOREVER)

    listed = harness.runtime.list_containers(harness.node("a"))
    of_pod = harness.runtime.list_containers(harness.node("a"), pod_uid=pod_a.uid)

    assert [s.id for s in listed] == [other, second, first]
    assert [(s.name, s.restart_count, s.pod) for s in of_pod] == [("second", 1, pod_a), ("first", 0, pod_a)]
    assert [s.id for s in harness.runtime.list_sandboxes(harness.node("b"))] == [sandbox_b.id]


# ----- logs

def test_logs_honour_tail_timestamps_since_and_limit(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    status = harness.run_to_exit(pod, sandbox, command=["sh", "-c", "echo one; echo two; echo three"])
    logs = harness.output

    assert logs(status.id) == b"one\ntwo\nthree\n"
    assert logs(status.id, tail=2) == b"two\nthree\n"
    assert logs(status.id, tail=0) == b""
    assert logs(status.id, limit_bytes=6) == b"one\ntw"
    assert logs(status.id, since_seconds=3600) == b"one\ntwo\nthree\n"
    stamped = logs(status.id, tail=1, timestamps=True).splitlines()
    assert [RFC3339_NANO_LINE.match(line).group(1) for line in stamped] == [b"three"]


def test_followed_logs_end_when_the_container_stops(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    container_id = harness.run(pod, sandbox, command=["sh", "-c", "echo first; sleep 3600"])
    harness.wait_output(container_id, "first")
    stream = harness.runtime.logs(container_id, follow=True)

    assert next(stream) == b"first\n"
    harness.runtime.stop_container(container_id, grace_seconds=0)
    assert list(stream) == []


# ----- exec

@pytest.fixture
def running(harness) -> str:
    pod = harness.pod()
    return harness.run(pod, harness.sandbox(pod), command=WAIT_FOREVER)


def collect(session) -> dict[int, bytes]:
    streams = {1: b"", 2: b""}
    for stream, data in session.output():
        streams[stream] += data
    return streams


def test_exec_returns_output_and_exit_code(harness, running):
    session = harness.runtime.exec(running, ["echo", "hi"], stdin=False, tty=False)

    assert collect(session) == {1: b"hi\n", 2: b""}
    assert session.exit_code() == 0


def test_exec_separates_stderr_and_reports_a_failing_exit_code(harness, running):
    session = harness.runtime.exec(running, ["sh", "-c", "echo out; echo err >&2; exit 3"], stdin=False, tty=False)

    assert collect(session) == {1: b"out\n", 2: b"err\n"}
    assert session.exit_code() == 3


def test_exec_stdin_round_trips_through_cat(harness, running):
    session = harness.runtime.exec(running, ["cat"], stdin=True, tty=False)

    session.write(b"ping\n")
    session.close_stdin()

    assert collect(session) == {1: b"ping\n", 2: b""}
    assert session.exit_code() == 0
    session.close()


def test_exec_output_ends_when_the_process_exits_with_stdin_still_open(harness, running):
    session = harness.runtime.exec(running, ["sh", "-c", "echo bye; exit 2"], stdin=True, tty=False)

    assert collect(session) == {1: b"bye\n", 2: b""}
    assert session.exit_code() == 2
    session.close()


def test_exec_tty_resize_reaches_the_terminal(harness, running):
    session = harness.runtime.exec(running, ["sh"], stdin=True, tty=True)

    session.resize(width=120, height=40)
    session.write(b"stty size; exit 5\n")

    assert b"40 120\r\n" in collect(session)[1]
    assert session.exit_code() == 5
    session.close()


def test_exec_in_a_stopped_container_fails(harness, running):
    harness.runtime.stop_container(running, grace_seconds=0)

    with pytest.raises(RuntimeFailure):
        harness.runtime.exec(running, ["echo", "hi"], stdin=False, tty=False)


# ----- attach

COUNTER = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
ECHO_STDIN = ["sh", "-c", "while read line; do echo \"got $line\"; done"]


def first_output(session, timeout: float = 30.0) -> tuple[int, bytes]:
    """The first (stream, data) an attach session gives, read on a thread so a silent one fails the test."""
    found: list = []
    reader = threading.Thread(target=lambda: found.append(next(iter(session.output()), None)), daemon=True)
    reader.start()
    reader.join(timeout)
    assert found and found[0] is not None, "no output from the attach session"
    return found[0]


def test_attach_shows_only_what_the_process_writes_after_attaching(harness):
    pod = harness.pod()
    container_id = harness.run(pod, harness.sandbox(pod), command=COUNTER)
    harness.simulate_output(container_id, b"tick 1\ntick 2\n")
    harness.wait_output(container_id, "tick 2")

    session = harness.runtime.attach(container_id, stdin=False)
    try:
        harness.simulate_output(container_id, b"tick 3\n")
        stream, data = first_output(session)
    finally:
        session.close()

    assert stream == 1 and not session.tty
    assert data.startswith(b"tick ") and int(data.split()[1]) >= 3


def test_attach_output_ends_when_the_container_stops(harness, running):
    session = harness.runtime.attach(running, stdin=False)

    harness.runtime.stop_container(running, grace_seconds=0)

    assert list(session.output()) == []
    session.close()


def test_attach_to_a_stopped_container_fails(harness, running):
    harness.runtime.stop_container(running, grace_seconds=0)

    with pytest.raises(RuntimeFailure):
        harness.runtime.attach(running, stdin=False)


def test_attach_says_whether_the_container_has_a_terminal(harness):
    pod = harness.pod()
    container_id = harness.run(pod, harness.sandbox(pod), command=WAIT_FOREVER, stdin=True, tty=True)

    session = harness.runtime.attach(container_id, stdin=True)
    try:
        session.resize(width=100, height=30)
        assert session.tty
    finally:
        session.close()
    assert harness.runtime.container_status(container_id).state == "running"  # detaching stops nothing


@docker_only
def test_attach_stdin_reaches_a_container_that_keeps_stdin_open(harness):
    pod = harness.pod()
    container_id = harness.run(pod, harness.sandbox(pod), command=ECHO_STDIN, stdin=True)

    session = harness.runtime.attach(container_id, stdin=True)
    try:
        session.write(b"hello\n")
        assert first_output(session) == (1, b"got hello\n")
    finally:
        session.close()


@docker_only
def test_stdin_stays_open_after_an_attach_ends(harness):
    """Guards against docker-py's default of StdinOnce, with which the first attach to end closed the
    process's stdin (a `while read` loop then exited, and the next attach found it gone)."""
    pod = harness.pod()
    container_id = harness.run(pod, harness.sandbox(pod), command=ECHO_STDIN, stdin=True)

    assert harness.docker_client.api.inspect_container(container_id)["Config"]["StdinOnce"] is False
    for word in (b"one", b"two"):
        session = harness.runtime.attach(container_id, stdin=True)
        try:
            session.write(word + b"\n")
            assert first_output(session) == (1, b"got " + word + b"\n")
        finally:
            session.close()


@fake_only
def test_the_fake_keeps_attached_stdin_only_for_a_container_that_keeps_stdin_open(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    with_stdin = harness.run(pod, sandbox, "reads", command=ECHO_STDIN, stdin=True)
    without = harness.run(pod, sandbox, "deaf", command=WAIT_FOREVER)

    for container_id in (with_stdin, without):
        session = harness.runtime.attach(container_id, stdin=True)
        session.write(b"hello\n")
        session.close()

    assert harness.runtime.attached_stdin(with_stdin) == b"hello\n"
    assert harness.runtime.attached_stdin(without) == b""


# ----- images

def test_image_present_and_id(harness):
    assert harness.runtime.image_present(BUSYBOX_IMAGE)
    assert harness.runtime.image_id(BUSYBOX_IMAGE).startswith("sha256:")
    assert not harness.runtime.image_present(UNREACHABLE_IMAGE)
    assert harness.runtime.image_id(UNREACHABLE_IMAGE) == ""


def test_pulling_from_an_unreachable_registry_fails_fast(harness):
    started = time.monotonic()

    with pytest.raises(ImagePullFailed) as failure:
        harness.runtime.pull_image(UNREACHABLE_IMAGE)

    assert time.monotonic() - started < 10
    assert str(failure.value)


@fake_only
def test_the_fake_pulls_the_images_it_is_told_are_pullable(harness):
    fake: FakeRuntime = harness.runtime
    fake.pullable["nginx:latest"] = FakeImage("nginx")

    fake.pull_image("nginx")

    assert fake.image_present("nginx:latest")


def test_creating_from_a_missing_image_says_the_image_is_not_present(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)

    with pytest.raises(ImageNotPresent):
        harness.create(pod, sandbox, image=UNREACHABLE_IMAGE)


# ----- usage (what kubectl top shows)

def test_a_busy_container_reports_cpu_up_to_its_limit_and_some_memory(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    container_id = harness.run(pod, sandbox, command=BUSY_LOOP, cpu_limit_millis=200)
    harness.simulate_cpu(container_id, 5 * NANO_CORES_PER_CORE)  # more than the limit lets it have

    stats = wait_for(lambda: (s := harness.runtime.container_stats(container_id)) and s.cpu_usage_nano_cores and s,
                     timeout=30, message="a CPU sample of the busy loop")

    # 200m, plus the jitter of a one-second sample of a 100 ms CFS period.
    assert 0 < stats.cpu_usage_nano_cores <= 300_000_000
    assert 0 < stats.memory_working_set_bytes <= stats.memory_usage_bytes
    assert RFC3339_NANO.match(stats.timestamp)


def test_an_idle_container_reports_almost_no_cpu(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    container_id = harness.run(pod, sandbox, command=WAIT_FOREVER)

    stats = harness.runtime.container_stats(container_id)

    assert stats is not None
    assert stats.cpu_usage_nano_cores < 50_000_000
    assert stats.memory_working_set_bytes > 0


def test_a_container_that_is_not_running_has_no_stats(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    created = harness.create(pod, sandbox, "created", command=WAIT_FOREVER)
    exited = harness.run_to_exit(pod, sandbox, "exited", command=["true"])

    assert harness.runtime.container_stats(created) is None
    assert harness.runtime.container_stats(exited.id) is None


# ----- removal and unknown ids

def test_removal_is_idempotent(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    data = harness.volume(pod, container_path="/data")
    container_id = harness.run(pod, sandbox, command=WAIT_FOREVER, mounts=(data,))

    for _ in range(2):
        harness.runtime.remove_container(container_id)
        harness.runtime.remove_sandbox(sandbox.id)
        harness.runtime.remove_pod_volumes(pod)

    with pytest.raises(ContainerNotFound):
        harness.runtime.container_status(container_id)
    assert harness.runtime.list_sandboxes(pod.node_name) == []


def test_unknown_ids_are_container_not_found(harness):
    unknown = f"tk-no-such-container-{harness.owner}"

    for call in (lambda: harness.runtime.container_status(unknown),
                 lambda: harness.runtime.start_container(unknown),
                 lambda: harness.runtime.stop_container(unknown, grace_seconds=0),
                 lambda: harness.runtime.logs(unknown),
                 lambda: harness.runtime.container_stats(unknown),
                 lambda: harness.runtime.exec(unknown, ["true"], stdin=False, tty=False)):
        with pytest.raises(ContainerNotFound):
            call()


def test_a_container_needs_its_sandbox(harness):
    pod = harness.pod()
    sandbox = harness.sandbox(pod)
    harness.runtime.remove_sandbox(sandbox.id)

    with pytest.raises(CreateFailed):
        harness.create(pod, sandbox, command=WAIT_FOREVER)


@docker_only
def test_sandboxes_started_at_once_create_one_network(harness, docker_client):
    # Guards against a race: concurrent sandboxes each created the missing network, the engine
    # allowed duplicates of one name, and sandboxes then failed with "network ... is ambiguous".
    import concurrent.futures
    import uuid

    network = f"tk-race-{uuid.uuid4().hex[:8]}"
    pods = [harness.pod(f"p{i}") for i in range(6)]

    def start(pod):
        return harness.runtime.run_sandbox(SandboxSpec(pod=pod, image=PAUSE_IMAGE, network=network,
                                                       hostname=pod.name))

    try:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            sandboxes = list(pool.map(start, pods))
        assert all(s.running and s.ip for s in sandboxes)
        assert len(docker_client.networks.list(names=[network])) == 1
    finally:
        for pod in pods:
            for sandbox in harness.runtime.list_sandboxes(pod.node_name, pod_uid=pod.uid):
                harness.runtime.remove_sandbox(sandbox.id)
        for leftover in docker_client.networks.list(names=[network]):
            leftover.remove()
