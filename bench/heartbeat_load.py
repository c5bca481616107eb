"""Heartbeat load: pod churn on a master with 1,000 nodes renewing their Leases, against the same churn without.

    python -m bench.heartbeat_load            # 1,000 nodes, 60 s per phase
    python -m bench.heartbeat_load --small    # 50 nodes, 10 s per phase, a smoke test

Two phases, each on a fresh master running the node lifecycle controller (the
consumer of heartbeats) and no scheduler (so churned pods stay Pending):

    without  pod churn alone
    with     N Node objects and their Leases in kube-node-lease, registered first;
             then each Lease renewed (PUT, as a kubelet does) every 10 s, the N
             renewals spread evenly over the 10 s; and the same pod churn

The pod churn: 20 pods a second, each created, read back after half a second
and deleted after a second, on a fixed schedule (a slow answer never delays the
next request); 3 s of it, unmeasured, warm each master up. The renewals come
from another process (asyncio + httpx), so their client CPU does not share a
GIL with the churn's clocks; like a kubelet, a node whose previous renewal is
still unanswered skips its turn (counted).

Target: churn p99 with heartbeats <= 2x without; failed writes (churn and
renewals) = 0. tinykube's kubelets also report node status every 60 s; that
smaller load (1/6 of the renewals) is not simulated.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.clients import async_client, receive
from bench.results import Row, Tally, print_result, result, summary_ms, write_json
from tests.support.cluster import Master

LEASE_PERIOD_SECONDS = 10.0  # the kubelet's renew interval
LEASE_DURATION_SECONDS = 40
CHURN_PODS_PER_SECOND = 20
POD_LIFETIME_SECONDS = 1.0
WARM_UP_SECONDS = 3.0  # of churn, not measured: a fresh master's first requests are slower in both phases
P99_RATIO_TARGET = 2.0
CONNECTIONS = 16  # per client process
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
CHURN_PODS = "/api/v1/namespaces/default/pods"
CHURN_VERBS = ("create", "get", "delete")


def micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ----- the simulated nodes (a process of their own)


def hollow_node(name: str) -> dict:
    capacity = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    now = micro_now()
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"bench": "heartbeat"}},
            "status": {"capacity": capacity, "allocatable": capacity, "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": now,
                 "lastTransitionTime": now}]}}


def lease(name: str) -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                     "renewTime": micro_now()}}


def heartbeats_process(url: str, ca_file: str, token: str, nodes: int, conn) -> None:
    """Register `nodes` Nodes and Leases, send "registered", renew until told to stop, then send back
    (the renewals' Tally, how many renewals were skipped because the node's previous one was unanswered)."""
    conn.send(asyncio.run(_heartbeats(url, ca_file, token, nodes, conn)))


async def _heartbeats(url: str, ca_file: str, token: str, nodes: int, conn) -> tuple[Tally, int]:
    names = [f"hollow-{i:05d}" for i in range(nodes)]
    leases: dict[str, dict] = {}  # each node's Lease as last stored: the next renewal updates that version
    tally, skipped, in_flight = Tally(), 0, set()
    async with async_client(url, ca_file, token, connections=CONNECTIONS) as client:
        registering = asyncio.Semaphore(CONNECTIONS)

        async def register(name: str) -> None:
            async with registering:
                (await client.post("/api/v1/nodes", json=hollow_node(name))).raise_for_status()
                created = await client.post(LEASES, json=lease(name))
                created.raise_for_status()
                leases[name] = created.json()

        async def renew(name: str) -> None:
            """PUT the Lease with a new renewTime, as the kubelet does."""
            in_flight.add(name)
            try:
                leases[name]["spec"]["renewTime"] = micro_now()
                begun = time.perf_counter()
                response = await client.put(f"{LEASES}/{name}", json=leases[name])
                if tally.record("renew", response, time.perf_counter() - begun):
                    leases[name] = response.json()
                else:
                    leases[name] = (await client.get(f"{LEASES}/{name}")).json()  # start again from what is stored
            finally:
                in_flight.discard(name)

        await asyncio.gather(*(register(name) for name in names))
        conn.send("registered")
        stopped = asyncio.get_running_loop().run_in_executor(None, conn.recv)
        # Node k % N renews at start + k * period / N: every Lease once per period, evenly spread. A renewal
        # is never awaited by the schedule, so a slow master gets the same offered load, not less.
        start, k, renewing = time.monotonic(), 0, set()
        while not stopped.done():
            await asyncio.sleep(max(0.0, start + k * LEASE_PERIOD_SECONDS / nodes - time.monotonic()))
            name, k = names[k % nodes], k + 1
            if name in in_flight:  # a kubelet renews one at a time: its previous renewal is still unanswered
                skipped += 1
                continue
            task = asyncio.create_task(renew(name))
            renewing.add(task)
            task.add_done_callback(renewing.discard)
        await asyncio.gather(*renewing)
        tally.seconds = time.monotonic() - start
    return tally, skipped


# ----- the pod churn (this process)


async def churn(master: Master, *, seconds: float, prefix: str) -> Tally:
    """Pods created at a steady rate, each read back and deleted on its own schedule."""
    tally = Tally(seconds=seconds)

    async def pod_life(client: httpx.AsyncClient, name: str, born: float) -> None:
        manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                    "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test"}]}}
        if not await timed(tally, "create", client.post(CHURN_PODS, json=manifest)):
            return
        await asyncio.sleep(max(0.0, born + POD_LIFETIME_SECONDS / 2 - time.monotonic()))
        await timed(tally, "get", client.get(f"{CHURN_PODS}/{name}"))
        await asyncio.sleep(max(0.0, born + POD_LIFETIME_SECONDS - time.monotonic()))
        await timed(tally, "delete", client.delete(f"{CHURN_PODS}/{name}"))

    async with async_client(master.url, str(master.data_dir / "ca.crt"), master.token(),
                            connections=CONNECTIONS) as client:
        await asyncio.gather(*(client.get("/readyz") for _ in range(CONNECTIONS)))  # open the connections
        start, lives = time.monotonic(), []
        for i in range(int(seconds * CHURN_PODS_PER_SECOND)):
            born = start + i / CHURN_PODS_PER_SECOND
            await asyncio.sleep(max(0.0, born - time.monotonic()))
            lives.append(asyncio.create_task(pod_life(client, f"{prefix}-{i:06d}", born)))
        await asyncio.gather(*lives)
    return tally


async def timed(tally: Tally, verb: str, request) -> bool:
    begun = time.perf_counter()
    response = await request
    return tally.record(verb, response, time.perf_counter() - begun)


# ----- the run


def phase(root: Path, *, nodes: int, seconds: float) -> dict:
    """One fresh master: `nodes` heartbeating nodes (none for the baseline) while the pods churn."""
    root.mkdir(parents=True)
    master = Master(root / "master", extra_args=["--no-scheduler", "--controllers=nodelifecycle"])
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this process's threads
    ours, theirs = spawn.Pipe()
    beating = None
    renewals, skipped = Tally(), 0
    try:
        master.start()
        if nodes:
            beating = spawn.Process(target=heartbeats_process, name="heartbeats", daemon=True, args=(
                master.url, str(master.data_dir / "ca.crt"), master.token(), nodes, theirs))
            beating.start()
            started = time.monotonic()
            receive(ours, beating, timeout=900, waiting_for="registering the nodes")
            print(f"{nodes} nodes and Leases registered in {time.monotonic() - started:.1f} s; "
                  f"renewing every {LEASE_PERIOD_SECONDS:.0f} s", flush=True)
        print(f"churning {CHURN_PODS_PER_SECOND} pods/s for {seconds:.0f} s with {nodes} heartbeating nodes",
              flush=True)
        asyncio.run(churn(master, seconds=WARM_UP_SECONDS, prefix="warm-up"))
        churned = asyncio.run(churn(master, seconds=seconds, prefix="churn"))
        if beating is not None:
            ours.send("stop")
            renewals, skipped = receive(ours, beating, timeout=120, waiting_for="the renewals' tally")
            beating.join(timeout=30)
    finally:
        if beating is not None and beating.is_alive():
            beating.terminate()
            beating.join(timeout=10)
        master.stop()
    return {
        "nodes": nodes,
        "churn": {**summary_ms(churned.latencies(CHURN_VERBS)),
                  "verbs": {verb: summary_ms(churned.latencies((verb,))) for verb in CHURN_VERBS},
                  "failed_writes": churned.failed(("create", "delete")), "failed_reads": churned.failed(("get",)),
                  "first_errors": churned.first_errors},
        "renewals": {**summary_ms(renewals.latencies(("renew",))), "failed": renewals.failed(("renew",)),
                     "skipped": skipped, "first_errors": renewals.first_errors,
                     "per_second": len(renewals.latencies(("renew",))) / renewals.seconds if nodes else 0.0},
    }


def run(*, nodes: int, seconds: float, root: Path) -> dict:
    without = phase(root / "without", nodes=0, seconds=seconds)
    with_heartbeats = phase(root / "with", nodes=nodes, seconds=seconds)
    return report(without, with_heartbeats, seconds=seconds)


def report(without: dict, with_heartbeats: dict, *, seconds: float) -> dict:
    nodes = with_heartbeats["nodes"]
    quiet, busy = without["churn"], with_heartbeats["churn"]
    renewals = with_heartbeats["renewals"]
    failed = busy["failed_writes"] + quiet["failed_writes"] + renewals["failed"]
    ratio_p99, ratio_p50 = busy["p99_ms"] / quiet["p99_ms"], busy["p50_ms"] / quiet["p50_ms"]
    rows = [
        Row(f"pod churn ({CHURN_PODS_PER_SECOND}/s, {seconds:.0f} s): p99 of every request, with {nodes} "
            f"heartbeating nodes vs without", f"{busy['p99_ms']:.1f} ms", f"{quiet['p99_ms']:.1f} ms",
            ratio_p99, f"<= {P99_RATIO_TARGET}x", ratio_p99 <= P99_RATIO_TARGET),
        Row("pod churn: p50 of every request", f"{busy['p50_ms']:.1f} ms", f"{quiet['p50_ms']:.1f} ms", ratio_p50),
        *(Row(f"pod churn: {verb} p99", f"{busy['verbs'][verb]['p99_ms']:.1f} ms",
              f"{quiet['verbs'][verb]['p99_ms']:.1f} ms",
              busy["verbs"][verb]["p99_ms"] / quiet["verbs"][verb]["p99_ms"]) for verb in busy["verbs"]),
        Row("Lease renewals: rate, p50, p99; skipped (previous one unanswered)",
            f"{renewals['per_second']:.0f} /s, {renewals['p50_ms']:.1f} ms, {renewals['p99_ms']:.1f} ms; "
            f"{renewals['skipped']}"),
        Row("failed writes (churn with + without, renewals)",
            f"{busy['failed_writes']} + {quiet['failed_writes']}, {renewals['failed']}", "", None, "0", failed == 0),
    ]
    command = "python -m bench.heartbeat_load" + (" --small" if nodes < 1000 else "")
    return result("heartbeat_load", command, rows, {
        "seconds": seconds, "churn_pods_per_second": CHURN_PODS_PER_SECOND, "without": without,
        "with": with_heartbeats})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="50 nodes, 10 s per phase (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-heartbeat-") as tmp:
        outcome = run(nodes=50 if args.small else 1000, seconds=10 if args.small else 60, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
