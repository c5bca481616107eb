"""Watch fan-out: 200 watch streams on one namespace's pods, one writer updating a pod every 50 ms.

    python -m bench.watch_fanout            # 200 watchers, 200 updates
    python -m bench.watch_fanout --small    # 20 watchers, 40 updates, a smoke test

A master without scheduler or controllers. The watchers are real HTTPS watch
streams (`?watch=1`, one connection each, httpx + asyncio) in a process of
their own, so their CPU never shares a GIL with the writer's. Timeline:

    watchers' process: open 200 streams from revision R ──► all live ──► record every line's arrival
    this process:      warm-up updates until all live ──► 200 measured updates, 50 ms apart ──► stop

Latency of one (watcher, event) pair = the moment the watcher's process read
the event's line - the moment the writer had the update's response. Both are
CLOCK_MONOTONIC, one clock for every process on the machine. A watcher may read
an event before the writer has parsed the response, so a pair can be slightly
negative. Lines are kept raw and parsed only at the end, so the watchers' own
work per event stays small; what remains of it (one event loop reading 200
sockets in turn) is part of the number. Target: p99 <= 50 ms; every watcher
must get every update.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import ssl
import tempfile
import time
from pathlib import Path

import httpx

from bench.clients import receive
from bench.procfs import cpu_seconds
from bench.results import Row, print_result, result, summary_ms, write_json
from tests.support.cluster import Master

P99_TARGET_MS = 50
INTERVAL_SECONDS = 0.05
NAMESPACE = "fanout"
POD = "target"
LIVE_TIMEOUT_SECONDS = 120
DRAIN_TIMEOUT_SECONDS = 60


# ----- the watchers' process


def watchers_process(url: str, ca_file: str, token: str, from_revision: str, watchers: int, conn) -> None:
    """Run `watchers` streams; send "live" once each has delivered an event, then wait for the writer's last
    resourceVersion, and send back every stream's [(resourceVersion, arrival time), ...]."""
    received = asyncio.run(_watch_all(url, ca_file, token, from_revision, watchers, conn))
    conn.send([[(_revision(line), seen) for line, seen in stream] for stream in received])


async def _watch_all(url: str, ca_file: str, token: str, from_revision: str, watchers: int,
                     conn) -> list[list[tuple[str, float]]]:
    received: list[list[tuple[str, float]]] = [[] for _ in range(watchers)]
    limits = httpx.Limits(max_connections=watchers, max_keepalive_connections=watchers)
    async with httpx.AsyncClient(base_url=url, verify=ssl.create_default_context(cafile=ca_file), limits=limits,
                                 timeout=httpx.Timeout(60, read=None),
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        streams = [asyncio.create_task(_watch_one(client, from_revision, lines)) for lines in received]
        try:
            # An event on every stream means the server has subscribed each one: from now on it is live.
            while not all(received):
                for stream in streams:
                    if stream.done():
                        stream.result()  # a stream that ended this early failed: raise its error
                await asyncio.sleep(0.02)
            conn.send("live")
            last_revision = await asyncio.to_thread(conn.recv)
            deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
            while time.monotonic() < deadline and not all(_seen(lines, last_revision) for lines in received):
                await asyncio.sleep(0.02)
        finally:
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
    return received


async def _watch_one(client: httpx.AsyncClient, from_revision: str, lines: list[tuple[str, float]]) -> None:
    async with client.stream("GET", f"/api/v1/namespaces/{NAMESPACE}/pods", params={
            "watch": "1", "resourceVersion": from_revision, "timeoutSeconds": "3600"}) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            lines.append((line, time.monotonic()))  # parsed after the run: keep per-event work minimal


def _seen(lines: list[tuple[str, float]], revision: int) -> bool:
    return bool(lines) and (_revision(lines[-1][0]) or 0) >= revision


def _revision(line: str) -> int | None:
    """The event's resourceVersion; None for an ERROR event (e.g. the server ended a watcher that fell behind)."""
    event = json.loads(line)
    return None if event["type"] == "ERROR" else int(event["object"]["metadata"]["resourceVersion"])


# ----- the writer (this process)


def update(client: httpx.Client, value: str) -> int:
    """One single-object write (a merge patch of an annotation); its resourceVersion."""
    response = client.patch(f"/api/v1/namespaces/{NAMESPACE}/pods/{POD}",
                            content=json.dumps({"metadata": {"annotations": {"bench/update": value}}}),
                            headers={"Content-Type": "application/merge-patch+json"})
    response.raise_for_status()
    return int(response.json()["metadata"]["resourceVersion"])


def run(*, watchers: int, updates: int, root: Path) -> dict:
    master = Master(root / "master", extra_args=["--no-scheduler"])  # and no controllers: Master's default
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this process's threads
    ours, theirs = spawn.Pipe()
    watching = None
    try:
        master.start()
        with master.client() as client:
            client.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": NAMESPACE}}).raise_for_status()
            created = client.post(f"/api/v1/namespaces/{NAMESPACE}/pods", json={
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD},
                "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test"}]}})
            created.raise_for_status()
            watching = spawn.Process(target=watchers_process, name="watchers", daemon=True, args=(
                master.url, str(master.data_dir / "ca.crt"), master.token(),
                created.json()["metadata"]["resourceVersion"], watchers, theirs))
            watching.start()

            # Warm up until every stream is live: each update reaches every stream, late ones by replay.
            deadline = time.monotonic() + LIVE_TIMEOUT_SECONDS
            while not ours.poll(0.1):
                if time.monotonic() > deadline or not watching.is_alive():
                    raise RuntimeError(f"the {watchers} watchers never all went live")
                update(client, "warm-up")
            ours.recv()  # "live"
            print(f"{watchers} watchers live; {updates} updates {INTERVAL_SECONDS * 1000:.0f} ms apart", flush=True)

            answered_at: dict[int, float] = {}  # resourceVersion -> when the writer had the response
            master_cpu = cpu_seconds(master.process.pid)
            start = time.monotonic()
            for i in range(updates):
                time.sleep(max(0.0, start + i * INTERVAL_SECONDS - time.monotonic()))
                revision = update(client, str(i))
                answered_at[revision] = time.monotonic()
            writing_seconds = time.monotonic() - start
            ours.send(max(answered_at))
            received = receive(ours, watching, timeout=DRAIN_TIMEOUT_SECONDS + 30, waiting_for="the events read")
            master_cpu = cpu_seconds(master.process.pid) - master_cpu
        watching.join(timeout=30)
    finally:
        if watching is not None and watching.is_alive():
            watching.terminate()
            watching.join(timeout=10)
        master.stop()
    latencies = [(seen - answered_at[revision]) * 1000
                 for stream in received for revision, seen in stream if revision in answered_at]
    errors = sum(revision is None for stream in received for revision, _ in stream)
    return report(watchers=watchers, updates=updates, latencies_ms=latencies, errors=errors,
                  master_cpu_seconds=master_cpu, seconds=writing_seconds)


def report(*, watchers: int, updates: int, latencies_ms: list[float], errors: int, master_cpu_seconds: float,
           seconds: float) -> dict:
    summary = summary_ms(latencies_ms)
    missed = watchers * updates - len(latencies_ms)
    rows = [
        Row(f"{watchers} watchers x {updates} updates: write answered -> event read, p99",
            f"{summary['p99_ms']:.1f} ms (p50 {summary['p50_ms']:.1f}, max {summary['max_ms']:.1f})", "", None,
            f"<= {P99_TARGET_MS} ms", summary["p99_ms"] <= P99_TARGET_MS),
        Row("(watcher, update) pairs never delivered / ERROR events", f"{missed} / {errors}", "", None, "0 / 0",
            missed == 0 and errors == 0),
        Row("master CPU while writing", f"{master_cpu_seconds:.1f} s in {seconds:.1f} s"),
    ]
    command = "python -m bench.watch_fanout" + (" --small" if watchers < 200 else "")
    return result("watch_fanout", command, rows, {"watchers": watchers, "updates": updates,
                                                  "interval_seconds": INTERVAL_SECONDS, "latency": summary,
                                                  "missed": missed, "errors": errors,
                                                  "master_cpu_seconds": master_cpu_seconds})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="20 watchers and 40 updates (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-watch-") as tmp:
        outcome = run(watchers=20 if args.small else 200, updates=40 if args.small else 200, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
