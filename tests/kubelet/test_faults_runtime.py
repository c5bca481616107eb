"""The runtime as faults make it: a container signalled as a crash would, a slow engine, refused pulls.

Run against the fake and the Docker runtime alike (the `harness` fixture), so the
fake's idea of a signal cannot drift from Docker's.
"""

from __future__ import annotations

import threading
import time

import pytest

from kubelet.runtime.faulty import FaultyRuntime, image_reference
from kubelet.runtime.protocol import ImagePullFailed
from tests.support.images import BUSYBOX_IMAGE


def test_sigkill_ends_a_container_with_exit_code_137(harness):
    pod = harness.pod()
    container = harness.run(pod, harness.sandbox(pod), command=["sleep", "600"])
    harness.runtime.kill_container(container, 9)
    assert harness.wait_exited(container).exit_code == 137


def test_a_trapped_signal_ends_the_container_as_its_handler_says(harness):
    pod = harness.pod()
    container = harness.run(pod, harness.sandbox(pod), command=[
        "sh", "-c", "trap 'exit 143' TERM; echo ready; while true; do sleep 0.1; done"])
    harness.wait_output(container, "ready")
    harness.runtime.kill_container(container, 15)
    assert harness.wait_exited(container).exit_code == 143


def test_a_failing_pull_names_the_fault_and_the_image_looks_absent_until_cleared(harness):
    runtime = FaultyRuntime(harness.runtime)
    runtime.fail_pulls("fail-pulls-x", BUSYBOX_IMAGE, "fault fail-pulls-x: pulls fail")
    assert not runtime.image_present(BUSYBOX_IMAGE)
    with pytest.raises(ImagePullFailed, match="fault fail-pulls-x"):
        runtime.pull_image(BUSYBOX_IMAGE)
    runtime.clear("fail-pulls-x")
    assert runtime.image_present(BUSYBOX_IMAGE)


def test_a_delay_makes_every_runtime_call_wait_until_cleared(harness):
    runtime = FaultyRuntime(harness.runtime)
    runtime.delay("delay-x", 0.3)
    started = time.monotonic()
    runtime.list_containers(harness.node())
    assert time.monotonic() - started >= 0.3
    runtime.clear("delay-x")
    started = time.monotonic()
    runtime.list_containers(harness.node())
    assert time.monotonic() - started < 0.3


def test_a_call_waiting_out_a_delay_goes_on_as_soon_as_the_fault_ends(harness):
    # Guards against a plain sleep: a long delay kept the node slow after its fault had expired.
    runtime = FaultyRuntime(harness.runtime)
    runtime.delay("delay-long", 30)
    call = threading.Thread(target=runtime.list_containers, args=(harness.node(),), daemon=True)
    call.start()
    call.join(timeout=0.3)
    assert call.is_alive(), "the call should be waiting out the delay"
    ended = time.monotonic()
    runtime.clear("delay-long")
    call.join(timeout=5)
    assert not call.is_alive() and time.monotonic() - ended < 5


@pytest.mark.parametrize(("image", "reference"), [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:latest", "docker.io/library/nginx:latest"),
    ("docker.io/library/nginx:latest", "docker.io/library/nginx:latest"),
    ("docker.io/nginx", "docker.io/library/nginx:latest"),
    ("index.docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27"),
    ("tinykube/busybox", "docker.io/tinykube/busybox:latest"),
    ("localhost:5000/web", "localhost:5000/web:latest"),
    ("registry.example.com/team/web:v2", "registry.example.com/team/web:v2"),
    ("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc"),
])
def test_an_image_reference_is_read_as_docker_reads_it(image, reference):
    assert image_reference(image) == reference


def test_failing_pulls_of_an_image_fail_every_spelling_of_it(harness):
    # Guards against an exact string match: `--image nginx` let pulls of `nginx:latest` through.
    runtime = FaultyRuntime(harness.runtime)
    runtime.fail_pulls("fail-pulls-y", "nginx", "fault fail-pulls-y: pulls fail")
    for spelling in ("nginx:latest", "docker.io/library/nginx:latest"):
        with pytest.raises(ImagePullFailed, match="fail-pulls-y"):
            runtime.pull_image(spelling)
    runtime.fail_pulls("fail-pulls-z", f"docker.io/{BUSYBOX_IMAGE}", "fault fail-pulls-z: pulls fail")
    assert not runtime.image_present(BUSYBOX_IMAGE)
