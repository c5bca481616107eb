"""Master memory: resident set idle, and after storing 1,000 nodes and 10,000 pods.

    python -m bench.footprint            # 1,000 nodes, 10,000 pods
    python -m bench.footprint --small    # 50 nodes, 100 pods, a smoke test

A master without scheduler or controllers, so the pods stay Pending and
nothing but the API server holds memory. Read from /proc/<pid>/status:
VmRSS (resident now) and VmHWM (the peak since start), at three moments:

    idle     started, and each code path warmed by one request (a pod created and deleted)
    stored   after the nodes and pods were created through HTTPS (16 concurrent clients)
    listed   after one LIST of every pod, as an informer's first sync does (context only)

Target: <= 300 MB (decimal, = 286 MiB) once everything is stored, and at its peak.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.clients import async_client
from bench.heartbeat_load import hollow_node
from bench.procfs import MIB, memory_bytes
from bench.results import Row, print_result, result, write_json
from tests.support.cluster import Master

TARGET_BYTES = 300 * 1000 * 1000
CONCURRENT = 16
PODS = "/api/v1/namespaces/default/pods"


def pending_pod(name: str) -> dict:
    """A pod as a user writes one: a container with requests, labels; no node, so it stays Pending."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "footprint"}},
            "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test", "command": ["sleep", "3600"],
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


async def store(master: Master, *, nodes: int, pods: int) -> None:
    """Create every node, then every pod, `CONCURRENT` requests at a time."""
    async with async_client(master.url, str(master.data_dir / "ca.crt"), master.token(),
                            connections=CONCURRENT) as client:
        slots = asyncio.Semaphore(CONCURRENT)

        async def create(path: str, manifest: dict) -> None:
            async with slots:
                (await client.post(path, json=manifest)).raise_for_status()

        await asyncio.gather(*(create("/api/v1/nodes", hollow_node(f"hollow-{i:05d}")) for i in range(nodes)))
        await asyncio.gather(*(create(PODS, pending_pod(f"pending-{i:06d}")) for i in range(pods)))


def run(*, nodes: int, pods: int, root: Path) -> dict:
    master = Master(root / "master", extra_args=["--no-scheduler"])  # and no controllers: Master's default
    try:
        master.start()
        pid = master.process.pid
        with master.client() as client:
            client.post(PODS, json=pending_pod("warm-up")).raise_for_status()
            client.get(PODS).raise_for_status()
            client.delete(f"{PODS}/warm-up").raise_for_status()
        idle = memory_bytes(pid)
        print(f"master idle at {idle['VmRSS'] / MIB:.0f} MiB; storing {nodes} nodes and {pods} pods", flush=True)
        started = time.monotonic()
        asyncio.run(store(master, nodes=nodes, pods=pods))
        store_seconds = time.monotonic() - started
        stored = memory_bytes(pid)
        with httpx.Client(base_url=master.url, verify=master.ca, timeout=300,
                          headers={"Authorization": f"Bearer {master.token()}"}) as client:
            listed_count = len(client.get("/api/v1/pods").json()["items"])
        listed = memory_bytes(pid)
        database_bytes = sum(f.stat().st_size for f in master.data_dir.glob("tinykube.db*"))
    finally:
        master.stop()
    return report(nodes=nodes, pods=pods, idle=idle, stored=stored, listed=listed, listed_count=listed_count,
                  store_seconds=store_seconds, database_bytes=database_bytes)


def report(*, nodes: int, pods: int, idle: dict, stored: dict, listed: dict, listed_count: int,
           store_seconds: float, database_bytes: int) -> dict:
    def mib(value: int) -> str:
        return f"{value / MIB:.0f} MiB"

    target = f"<= 300 MB ({TARGET_BYTES / MIB:.0f} MiB)"
    rows = [
        Row("master RSS idle (VmRSS)", mib(idle["VmRSS"])),
        Row(f"master RSS with {nodes} nodes + {pods} pods stored (VmRSS)", mib(stored["VmRSS"]), "", None,
            target, stored["VmRSS"] <= TARGET_BYTES),
        Row("master peak RSS while storing them (VmHWM)", mib(stored["VmHWM"]), "", None, target,
            stored["VmHWM"] <= TARGET_BYTES),
        Row(f"after one LIST of all {listed_count} pods: VmRSS / VmHWM",
            f"{mib(listed['VmRSS'])} / {mib(listed['VmHWM'])}"),
        Row("storing: objects/s; database size", f"{(nodes + pods) / store_seconds:.0f} /s; "
                                                 f"{database_bytes / MIB:.0f} MiB"),
    ]
    command = "python -m bench.footprint" + (" --small" if pods < 10_000 else "")
    return result("footprint", command, rows, {"nodes": nodes, "pods": pods, "idle": idle, "stored": stored,
                                               "listed": listed, "store_seconds": store_seconds,
                                               "database_bytes": database_bytes})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="50 nodes and 100 pods (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-footprint-") as tmp:
        outcome = run(nodes=50 if args.small else 1000, pods=100 if args.small else 10_000, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
