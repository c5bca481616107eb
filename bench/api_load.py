"""API load: 50 concurrent clients creating, reading, listing, updating and deleting pods for 30 s.

    python -m bench.api_load            # 50 clients, 30 s
    python -m bench.api_load --small    # 50 clients, 5 s, a smoke test
    python -m bench.api_load --master-arg=--no-provenance   # any extra flag for the master (repeatable)

A master without scheduler or controllers (so pods stay exactly as written),
reached through its real HTTPS endpoint with the admin token. Each client is
one keep-alive HTTP/1.1 connection (httpx, asyncio) with a namespace of its
own, and repeats one cycle as fast as the server answers:

    create pod ─► get it ─► list its namespace ─► update it (PUT) ─► delete it

Reported per verb: requests/s, p50 and p99; for single-object writes (create,
update, delete) together: writes/s and p99. Target: write p99 <= 25 ms at 500
writes/s. A paced run follows at 500 writes/s, or at the highest write rate
the unpaced one reached if that is lower (each client starting its cycles on
a fixed schedule): the target is judged on it, because unpaced clients only
measure how long they queue behind each other.

Must be 0: responses that are 5xx or mention "database is locked", and
"database is locked" in the master's log. The clients run in this process: the
master is one process too (one event loop, one GIL), so on a machine with two
or more cores the clients have a core of their own; the master's and the
clients' CPU seconds are reported so a client-bound run shows.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import httpx

from bench.procfs import cpu_seconds
from bench.results import Row, Tally, print_result, result, summary_ms, write_json
from tests.support.cluster import Master

CLIENTS = 50
VERBS = ("create", "get", "list", "update", "delete")
WRITE_VERBS = ("create", "update", "delete")
WRITE_RATE_TARGET = 500  # single-object writes per second
WRITE_P99_TARGET_MS = 25
PACED_RATE_TOLERANCE = 0.97
LOCKED = "database is locked"


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "api-load"}},
            "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test", "command": ["sleep", "3600"]}]}}


async def timed(tally: Tally, verb: str, request) -> httpx.Response | None:
    """Await one request; record its latency and outcome; the response when it succeeded."""
    begun = time.perf_counter()
    response = await request
    return response if tally.record(verb, response, time.perf_counter() - begun) else None


async def client_loop(client: httpx.AsyncClient, namespace: str, tally: Tally, *, until: float,
                      first_cycle: float, cycle_seconds: float | None) -> None:
    """One client's cycles until `until`; paced when `cycle_seconds` is given, as fast as answered otherwise."""
    pods = f"/api/v1/namespaces/{namespace}/pods"
    next_cycle, cycle = first_cycle, 0
    while time.monotonic() < until:
        if cycle_seconds is not None:
            # A fixed schedule: a late cycle does not push the later ones back (no coordinated omission).
            await asyncio.sleep(max(0.0, next_cycle - time.monotonic()))
            next_cycle += cycle_seconds
        name, cycle = f"load-{cycle}", cycle + 1
        created = await timed(tally, "create", client.post(pods, json=pod(name)))
        if created is None:
            continue
        await timed(tally, "get", client.get(f"{pods}/{name}"))
        await timed(tally, "list", client.get(pods))
        changed = created.json()
        changed["metadata"]["labels"]["cycle"] = str(cycle)  # a real change, against the created resourceVersion
        await timed(tally, "update", client.put(f"{pods}/{name}", json=changed))
        await timed(tally, "delete", client.delete(f"{pods}/{name}"))


async def drive(master: Master, namespaces: list[str], *, seconds: float, write_rate: float | None) -> Tally:
    """Every client on its own connection for `seconds`; `write_rate` (writes/s over all clients) paces them."""
    tally = Tally()
    tls, token = master.ca, master.token()
    clients = [httpx.AsyncClient(base_url=master.url, verify=tls, timeout=60, http2=False,
                                 headers={"Authorization": f"Bearer {token}"}) for _ in namespaces]
    try:
        # Open every connection first, so the clock measures requests and not TLS handshakes.
        await asyncio.gather(*(client.get("/readyz") for client in clients))
        cycle_seconds = None if write_rate is None else len(namespaces) * len(WRITE_VERBS) / write_rate
        start = time.monotonic()
        await asyncio.gather(*(
            client_loop(client, namespace, tally, until=start + seconds, cycle_seconds=cycle_seconds,
                        # Paced clients start spread over one cycle, so their requests do not arrive in waves.
                        first_cycle=start + i * (cycle_seconds or 0) / len(namespaces))
            for i, (client, namespace) in enumerate(zip(clients, namespaces))))
        # Cycles begun before the end run to completion; count them, and the time they took, in the rates.
        tally.seconds = time.monotonic() - start
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return tally


def measure(master: Master, namespaces: list[str], *, seconds: float, write_rate: float | None) -> dict:
    """One load phase: its tally summarized, with the master's and this process's CPU seconds."""
    master_cpu, own_cpu = cpu_seconds(master.process.pid), _own_cpu_seconds()
    tally = asyncio.run(drive(master, namespaces, seconds=seconds, write_rate=write_rate))
    elapsed, writes = tally.seconds, tally.latencies(WRITE_VERBS)
    return {
        "offered_write_rate": write_rate, "seconds": elapsed,
        "verbs": {verb: {**summary_ms(ms), "per_second": len(ms) / elapsed} for verb, ms in tally.latencies_ms.items()},
        "writes": {**summary_ms(writes), "per_second": len(writes) / elapsed},
        "server_errors": tally.server_errors, "locked_responses": tally.locked,
        # A client's objects are its own: no answer may be a conflict or a not-found either.
        "other_errors": tally.failed(VERBS) - tally.server_errors, "first_errors": tally.first_errors,
        "master_cpu_seconds": cpu_seconds(master.process.pid) - master_cpu,
        "client_cpu_seconds": _own_cpu_seconds() - own_cpu,
    }


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(*, seconds: float, clients: int, root: Path, master_args: tuple[str, ...] = ()) -> dict:
    # No scheduler, and no controllers (Master's default): pods stay exactly as written.
    master = Master(root / "master", extra_args=["--no-scheduler", *master_args])
    try:
        master.start()
        namespaces = [f"load-{i:02d}" for i in range(clients)]
        with master.client() as client:
            for namespace in namespaces:
                client.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": namespace}}).raise_for_status()
        print(f"master up; {clients} clients for {seconds:.0f} s, as fast as answered", flush=True)
        phases = {"unpaced": measure(master, namespaces, seconds=seconds, write_rate=None)}
        reached = phases["unpaced"]["writes"]["per_second"]
        if reached > 0:
            # The target is a latency at a rate: measure it at that rate (or the most the server reached),
            # since unpaced clients queue behind each other and their p99 measures the queue.
            paced_rate = min(reached, WRITE_RATE_TARGET)
            print(f"{reached:.0f} writes/s reached; {seconds:.0f} s more paced at {paced_rate:.0f}", flush=True)
            phases["paced"] = measure(master, namespaces, seconds=seconds, write_rate=paced_rate)
        locked_in_log = master.log_path.read_text(errors="replace").count(LOCKED)
    finally:
        master.stop()
    return report(phases, clients=clients, seconds=seconds, locked_in_log=locked_in_log)


def report(phases: dict[str, dict], *, clients: int, seconds: float, locked_in_log: int) -> dict:
    rows = []
    for label, phase in phases.items():
        writes = phase["writes"]
        rate_note = "as fast as answered" if phase["offered_write_rate"] is None else \
            f"paced at {phase['offered_write_rate']:.0f} writes/s"
        measured = f"{writes['p99_ms']:.1f} ms at {writes['per_second']:.0f} writes/s"
        title = f"{label} ({clients} clients, {rate_note}): single-object write p99"
        if label == "paced":  # the phase the target is about; a paced run ends a few writes short of its rate
            held = writes["per_second"] >= PACED_RATE_TOLERANCE * WRITE_RATE_TARGET and \
                writes["p99_ms"] <= WRITE_P99_TARGET_MS
            rows.append(Row(title, measured, "", None, f"<= {WRITE_P99_TARGET_MS} ms at {WRITE_RATE_TARGET} writes/s",
                            held))
        else:
            rows.append(Row(title, measured))
        for verb, numbers in phase["verbs"].items():
            rows.append(Row(f"{label}: {verb}", f"{numbers['per_second']:.0f} /s, p50 {numbers['p50_ms']:.1f} ms, "
                                                f"p99 {numbers['p99_ms']:.1f} ms"))
        clean = phase["server_errors"] == phase["locked_responses"] == phase["other_errors"] == 0
        rows.append(Row(f"{label}: responses 5xx / mentioning \"{LOCKED}\" / other non-2xx",
                        f"{phase['server_errors']} / {phase['locked_responses']} / {phase['other_errors']}",
                        "", None, "0 / 0 / 0", clean))
        rows.append(Row(f"{label}: CPU used, master / clients", f"{phase['master_cpu_seconds']:.1f} s / "
                                                                f"{phase['client_cpu_seconds']:.1f} s "
                                                                f"in {phase['seconds']:.1f} s"))
    rows.append(Row(f"\"{LOCKED}\" in the master's log", str(locked_in_log), "", None, "0", locked_in_log == 0))
    command = "python -m bench.api_load" + (" --small" if seconds < 30 else "")
    return result("api_load", command, rows, {"clients": clients, "seconds": seconds, "phases": phases,
                                              "locked_in_master_log": locked_in_log})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="5 s per phase instead of 30 (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    parser.add_argument("--master-arg", action="append", default=[], metavar="FLAG",
                        help="an extra flag for the master, repeatable; spelled with '=' when it starts with "
                             "a dash: --master-arg=--no-provenance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-api-") as tmp:
        outcome = run(seconds=5 if args.small else 30, clients=CLIENTS, root=Path(tmp),
                      master_args=tuple(args.master_arg))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
