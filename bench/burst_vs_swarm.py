"""A 60-replica burst: a tinykube Deployment against a Docker Swarm service and the raw engine, in one run.

    python -m bench.burst_vs_swarm            # 60 replicas
    python -m bench.burst_vs_swarm --small    # 6 replicas, a smoke test

All three start the same container (tinykube/busybox:test `sleep 3600`) on
this machine's engine, one after the other:

    tinykube  a master with its scheduler and controllers (time scale 1.0) and
              three kubelets; POST a Deployment, then follow the pod watch until
              all replicas are Running. Each pod is two containers (pause + app).
    Swarm     `service create` with the same replicas (swarm mode is turned on
              for the run if the engine is not in a swarm, and off afterwards);
              poll the tasks until all are running.
    raw       the Docker SDK creating and starting the containers itself, 8 at
              a time, on the kubelets' network (bench.startup's RawEngine).

Targets: tinykube's time <= 0.6x Swarm's; tinykube's containers/s (pause
containers counted) >= 80 % of the raw engine's. Before the clock starts one
pinned pod per node warms each kubelet up (its network, its engine connection);
tinykube's pods are gone before Swarm starts, so each side has the engine to
itself. Every container carries the run's owner label and is removed at the
end, pass or fail.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
from docker.types import ServiceMode

from bench.results import Row, print_result, result, write_json
from bench.startup import COMMAND, RawEngine, bench_pod, delete_all_pods, is_running
from kubelet.runtime.protocol import LABEL_OWNER
from tests.support.cluster import Master, live_cluster, wait_for
from tests.support.images import BUSYBOX_IMAGE

SWARM_RATIO_TARGET = 0.6  # tinykube's time / Swarm's time
RAW_RATE_TARGET = 0.8  # tinykube's containers/s / the raw engine's
RAW_PARALLEL = 8
CONTAINERS_PER_POD = 2  # the pause container and the app
RUNNING_TIMEOUT_SECONDS = 600
DEPLOYMENT = "burst"
PODS = "/api/v1/namespaces/default/pods"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


# ----- tinykube


def deployment(replicas: int) -> dict:
    pod = bench_pod("template")  # the pod bench.startup measures: busybox `sleep 3600`, 1 s grace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": DEPLOYMENT},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": DEPLOYMENT}},
                     "template": {"metadata": {"labels": {"app": DEPLOYMENT}}, "spec": pod["spec"]}}}


def warm_up(master: Master, node_names: list[str], owner: str) -> None:
    """One pinned pod per node, then none: each kubelet has its network and its engine connection open."""
    with master.client() as client:
        for node in node_names:
            client.post(PODS, json=bench_pod(f"warmup-{node}", node_name=node)).raise_for_status()
        wait_for(lambda: sum(map(is_running, client.get(PODS).json()["items"])) == len(node_names),
                 timeout=120, interval=0.2, message="a warm-up pod Running on every node")
    delete_all_pods(master, owner)


def tinykube_burst(master: Master, replicas: int) -> float:
    """Seconds from POSTing the Deployment to the watch showing all its replicas Running."""
    with master.client() as client:
        revision = client.get(PODS).json()["metadata"]["resourceVersion"]
        started = time.perf_counter()
        client.post(DEPLOYMENTS, json=deployment(replicas)).raise_for_status()
        running: set[str] = set()
        deadline = time.monotonic() + RUNNING_TIMEOUT_SECONDS
        # Watch from the revision before the POST, so no pod's event can slip by; a watch ends at its
        # timeoutSeconds, so follow it again from the last revision seen until the deadline.
        while time.monotonic() < deadline:
            with client.stream("GET", PODS, timeout=None, params={
                    "watch": "1", "resourceVersion": revision, "labelSelector": f"app={DEPLOYMENT}",
                    "timeoutSeconds": str(int(deadline - time.monotonic()) + 1)}) as stream:
                for line in stream.iter_lines():
                    event = json.loads(line)
                    if event["type"] == "ERROR":
                        raise RuntimeError(f"pod watch failed: {event['object']}")
                    pod = event["object"]
                    revision = pod["metadata"]["resourceVersion"]
                    if event["type"] != "DELETED" and is_running(pod):
                        running.add(pod["metadata"]["name"])
                    else:
                        running.discard(pod["metadata"]["name"])
                    if len(running) == replicas:
                        return time.perf_counter() - started
    raise TimeoutError(f"only {len(running)}/{replicas} pods Running after {RUNNING_TIMEOUT_SECONDS}s")


def remove_deployment(master: Master, owner: str) -> None:
    with master.client() as client:
        client.delete(f"{DEPLOYMENTS}/{DEPLOYMENT}").raise_for_status()  # the garbage collector takes its pods
        wait_for(lambda: not client.get(PODS).json()["items"], timeout=120, interval=0.2,
                 message="the Deployment's pods deleted")
    delete_all_pods(master, owner)  # and waits for the kubelets to remove their containers


# ----- Swarm


@contextlib.contextmanager
def swarm_mode(engine: docker.DockerClient) -> Iterator[None]:
    """The engine in swarm mode for the block; turned on (and off again afterwards) only if it was not."""
    if engine.info()["Swarm"]["LocalNodeState"] == "active":
        yield
        return
    networks_before = {network.name for network in engine.networks.list()}
    # Loopback only: a single-node swarm for a benchmark has no business listening on the machine's interfaces.
    engine.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
    try:
        yield
    finally:
        engine.swarm.leave(force=True)
        # Leaving removes the ingress network but keeps docker_gwbridge, which joining created.
        for network in engine.networks.list():
            if network.name not in networks_before and network.name in ("docker_gwbridge", "ingress"):
                with contextlib.suppress(docker.errors.APIError):
                    network.remove()


def swarm_burst(engine: docker.DockerClient, replicas: int, owner: str) -> float:
    """Seconds from `service create` to all of its tasks running."""
    # By image id, not tag: a swarm task tries to pull its image from the registry first unless it is
    # named by id or digest, and this image exists only here. The CLI's --no-resolve-image only spares
    # the client-side lookup; the SDK never does one.
    image_id = engine.images.get(BUSYBOX_IMAGE).id
    started = time.perf_counter()
    service = engine.services.create(
        image_id, command=COMMAND, name=f"{owner}-swarm", mode=ServiceMode("replicated", replicas=replicas),
        labels={LABEL_OWNER: owner}, container_labels={LABEL_OWNER: owner},
        stop_grace_period=1_000_000_000)  # ns; as the pods' terminationGracePeriodSeconds: sleep ignores SIGTERM
    try:
        deadline = time.monotonic() + RUNNING_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            tasks = engine.api.tasks(filters={"service": service.id, "desired-state": "running"})
            if sum(task["Status"]["State"] == "running" for task in tasks) == replicas:
                return time.perf_counter() - started
            time.sleep(0.05)
        raise TimeoutError(f"Swarm service not running {replicas} tasks after {RUNNING_TIMEOUT_SECONDS}s")
    finally:
        service.remove()


def remove_labelled_containers(engine: docker.DockerClient, owner: str) -> None:
    """Force-remove the run's containers; a removed service's tasks may still be stopping, so repeat until none."""
    def gone() -> bool:
        for container in engine.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"}):
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True)
        return not engine.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"})
    wait_for(gone, timeout=120, interval=0.5, message=f"every container labelled {owner} removed")


# ----- the run


def run(*, replicas: int, root: Path) -> dict:
    engine = docker.from_env()
    try:
        with live_cluster(root, nodes=3, time_scale=1.0, master_args=["--controllers=*"]) as (master, kubelets):
            # live_cluster removes every container labelled `owner` at the end, pass or fail: the
            # Swarm tasks and the raw containers carry the same label, so they are covered too.
            owner, network = kubelets[0].owner, kubelets[0].network
            warm_up(master, [k.node_name for k in kubelets], owner)
            print(f"master and {len(kubelets)} kubelets up; measuring {replicas} replicas", flush=True)
            tinykube_seconds = tinykube_burst(master, replicas)
            remove_deployment(master, owner)
            with swarm_mode(engine):
                swarm_seconds = swarm_burst(engine, replicas, owner)
                remove_labelled_containers(engine, owner)
            raw_engine = RawEngine(owner, network)
            try:
                raw = raw_engine.burst(replicas, RAW_PARALLEL)  # removes its containers itself
            finally:
                raw_engine.close()
    finally:
        engine.close()
    return report(replicas, tinykube_seconds, swarm_seconds, raw.seconds)


def report(replicas: int, tinykube_seconds: float, swarm_seconds: float, raw_seconds: float) -> dict:
    tinykube_rate = replicas * CONTAINERS_PER_POD / tinykube_seconds
    swarm_rate, raw_rate = replicas / swarm_seconds, replicas / raw_seconds
    rows = [
        Row(f"{replicas} replicas: apply -> all Running, vs Swarm service", f"{tinykube_seconds:.2f} s",
            f"{swarm_seconds:.2f} s", tinykube_seconds / swarm_seconds, f"<= {SWARM_RATIO_TARGET}x",
            tinykube_seconds / swarm_seconds <= SWARM_RATIO_TARGET),
        Row(f"{replicas} replicas: apply -> all Running, vs raw engine ({RAW_PARALLEL} at a time)",
            f"{tinykube_seconds:.2f} s", f"{raw_seconds:.2f} s", tinykube_seconds / raw_seconds),
        Row("containers started per second (a pod = pause + app), vs raw engine", f"{tinykube_rate:.1f} /s",
            f"{raw_rate:.1f} /s", tinykube_rate / raw_rate, f">= {RAW_RATE_TARGET}x",
            tinykube_rate / raw_rate >= RAW_RATE_TARGET),
        Row("containers started per second, vs Swarm", f"{tinykube_rate:.1f} /s", f"{swarm_rate:.1f} /s",
            tinykube_rate / swarm_rate),
    ]
    numbers = {"replicas": replicas, "tinykube_seconds": tinykube_seconds, "swarm_seconds": swarm_seconds,
               "raw_seconds": raw_seconds, "raw_parallel": RAW_PARALLEL, "tinykube_containers": replicas * 2,
               "tinykube_containers_per_second": tinykube_rate, "swarm_containers_per_second": swarm_rate,
               "raw_containers_per_second": raw_rate}
    command = "python -m bench.burst_vs_swarm" + (" --small" if replicas != 60 else "")
    return result("burst_vs_swarm", command, rows, numbers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="6 replicas instead of 60 (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-burst-") as tmp:
        outcome = run(replicas=6 if args.small else 60, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
