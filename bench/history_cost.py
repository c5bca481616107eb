"""History's cost: what the revision log of 10,000 pods' lives takes on disk and in the master, and what
compaction gives back.

    python -m bench.history_cost                    # 10,000 pods; then 10,000 more with --no-provenance
    python -m bench.history_cost --pods 500         # a smoke test

A master with neither scheduler nor controllers, 100 hollow nodes (bench.scheduler's)
and no kubelet. 50 clients play every part of a pod's life over HTTPS, each write
sent with the User-Agent and the headers of the component that makes it in a real
cluster, so its revision row carries the provenance a real cluster records:

    create (kubectl) ─► bind (scheduler) ─► status Running (kubelet, with its step note)
                     ─► delete (kubectl: marks it) ─► delete, grace 0 (kubelet: gone)    5 revisions a pod

Reported after the churn: the revisions retained; the database's files (db + wal)
and, by SQLite's dbstat, the pages of the `revisions` table and its indexes, as
bytes per revision; the master's RSS before and after.

Then the master restarts on the same database with a short --history-age and
--compaction-keep: every revision is still there (history survives a restart),
and after its first compaction the same numbers show what compaction gives
back. SQLite does not shrink its file when rows go: it keeps the freed pages
and reuses them for later writes, so the free pages are reported beside the
file size.

Last, the same churn against a master started with --no-provenance: what the
provenance columns add per revision (one run each, so its writes/s is context).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from bench.procfs import MIB, memory_bytes
from bench.scheduler import hollow_node
from tests.support.cluster import Master, wait_for

CLIENTS = 50
NODES = 100
NAMESPACE = "default"
KUBECTL = "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9"
SCHEDULER = "tinykube-scheduler"
KUBELET = "tinykube-kubelet/{node}"
CAUSE, NOTE = "X-Tinykube-Reacted-To", "X-Tinykube-Note"
STEP_NOTE = "sandbox 412 ms, pull 0 ms, create 38 ms, start 51 ms"  # what a kubelet's first Running write says
REVISIONS_PER_POD = 5
# The restarted master: compaction soon after it is up, keeping little.
COMPACTION_INTERVAL_SECONDS = 5
HISTORY_AGE = "1s"
COMPACTION_KEEP = 100


def pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "churn"}},
            "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test", "command": ["sleep", "3600"],
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


def running_status(index: int, node: str) -> dict[str, Any]:
    """The status a kubelet writes once the pod's containers started."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    conditions = [{"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                  for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")]
    return {"status": {
        "phase": "Running", "hostIP": f"10.0.{index % 250}.1", "podIP": f"10.244.{index // 250 % 250}.{index % 250}",
        "startTime": now, "conditions": conditions,
        "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "started": True,
                               "image": "tinykube/busybox:test", "imageID": "sha256:" + "ab" * 32,
                               "containerID": f"docker://{index:064x}", "state": {"running": {"startedAt": now}}}],
    }}


async def live_and_die(client: httpx.AsyncClient, index: int, node: str) -> int:
    """One pod's life, every write as the component that makes it; the writes that failed."""
    pods, name = f"/api/v1/namespaces/{NAMESPACE}/pods", f"churn-{index:05d}"
    kubelet = {"User-Agent": KUBELET.format(node=node)}
    created = await client.post(pods, json=pod(name), headers={"User-Agent": KUBECTL})
    if not created.is_success:
        return 1
    revision = created.json()["metadata"]["resourceVersion"]
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
               "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
    answers = [await client.post(f"{pods}/{name}/binding", json=binding,
                                 headers={"User-Agent": SCHEDULER, CAUSE: revision})]
    answers.append(await client.patch(f"{pods}/{name}/status", content=json.dumps(running_status(index, node)),
                                      headers={**kubelet, CAUSE: revision, NOTE: STEP_NOTE,
                                               "Content-Type": "application/merge-patch+json"}))
    marked = await client.delete(f"{pods}/{name}", headers={"User-Agent": KUBECTL})
    answers.append(marked)
    if marked.is_success:
        answers.append(await client.request(
            "DELETE", f"{pods}/{name}", json={"gracePeriodSeconds": 0},
            headers={**kubelet, CAUSE: marked.json()["metadata"]["resourceVersion"]}))
    return sum(not answer.is_success for answer in answers)


async def churn(master: Master, pods: int, nodes: list[str]) -> dict[str, float]:
    """Every pod lives and dies, CLIENTS at a time; the seconds it took and the writes that failed."""
    token = master.token()
    clients = [httpx.AsyncClient(base_url=master.url, verify=master.ca, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) for _ in range(CLIENTS)]

    async def worker(number: int, client: httpx.AsyncClient) -> int:
        return sum([await live_and_die(client, i, nodes[i % len(nodes)]) for i in range(number, pods, CLIENTS)])

    try:
        begun = time.monotonic()
        failed = sum(await asyncio.gather(*(worker(n, client) for n, client in enumerate(clients))))
        return {"seconds": time.monotonic() - begun, "failed_writes": failed}
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def database(path: Path) -> dict[str, int]:
    """What the database holds and takes, read from its files by a read-only connection of our own."""
    wal = path.with_name(path.name + "-wal")
    facts = {"db_bytes": path.stat().st_size, "wal_bytes": wal.stat().st_size if wal.exists() else 0}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        def one(sql: str) -> Any:
            row = db.execute(sql).fetchone()
            return (row[0] if row else None) or 0

        facts.update(
            revisions=one("SELECT count(*) FROM revisions"),
            pod_revisions=one("SELECT count(*) FROM revisions WHERE resource = 'pods'"),
            newest_revision=one("SELECT max(revision) FROM revisions"),
            compacted=int(one("SELECT value FROM settings WHERE key = 'compacted'")),
            json_bytes=one("SELECT sum(length(CAST(value AS BLOB))) FROM revisions"),
            # What the provenance columns hold (SQLite stores a small integer in 1 to 4 bytes).
            provenance_bytes=one("SELECT sum(coalesce(length(CAST(user AS BLOB)), 0) "
                                 "+ coalesce(length(CAST(component AS BLOB)), 0) + coalesce(length(verb), 0) "
                                 "+ coalesce(length(subresource), 0) + coalesce(length(CAST(note AS BLOB)), 0) "
                                 "+ 4 * (cause IS NOT NULL)) FROM revisions"),
            # The pages of the log: the table and its indexes, as this connection sees them (the WAL included).
            log_bytes=one("SELECT sum(pgsize) FROM dbstat WHERE name IN "
                          "(SELECT name FROM sqlite_schema WHERE tbl_name = 'revisions')"),
            page_bytes=one("PRAGMA page_size"),
        )
        facts["free_bytes"] = one("PRAGMA freelist_count") * facts["page_bytes"]
    return facts


def rss_mib(master: Master) -> float:
    return memory_bytes(master.process.pid)["VmRSS"] / MIB


def lifetime(data_dir: Path, pods: int, *, master_args: tuple[str, ...]) -> dict[str, Any]:
    """A master, NODES hollow nodes, `pods` pods churned; the database and RSS before and after."""
    # Compaction would not trim an hour's history anyway; the long interval says it does not run at all.
    data_dir.parent.mkdir(parents=True, exist_ok=True)  # where Master keeps its log
    master = Master(data_dir, extra_args=["--no-scheduler", "--compaction-interval", "3600", *master_args])
    try:
        master.start()
        nodes = [f"hollow-{i:03d}" for i in range(NODES)]
        with master.client() as client:
            for node in nodes:
                client.post("/api/v1/nodes", json=hollow_node(node)).raise_for_status()
        before = {"rss_mib": rss_mib(master), **database(data_dir / "tinykube.db")}
        print(f"churning {pods} pods ({' '.join(master_args) or 'provenance on'})", flush=True)
        churned = asyncio.run(churn(master, pods, nodes))
        after = {"rss_mib": rss_mib(master), **database(data_dir / "tinykube.db")}
    finally:
        master.stop()
    stopped = database(data_dir / "tinykube.db")  # closing its last connection checkpointed the WAL
    return {"before": before, "after": after, "stopped": stopped, "port": master.port, **churned,
            "writes_per_second": (after["newest_revision"] - before["newest_revision"]) / churned["seconds"]}


def compaction(data_dir: Path, port: int) -> dict[str, Any]:
    """The master restarted on the same database with a short history: its numbers before and after compacting."""
    master = Master(data_dir, port=port, extra_args=[
        "--no-scheduler", "--compaction-interval", str(COMPACTION_INTERVAL_SECONDS),
        "--history-age", HISTORY_AGE, "--compaction-keep", str(COMPACTION_KEEP)])
    path = data_dir / "tinykube.db"
    try:
        master.start()
        restarted = {"rss_mib": rss_mib(master), **database(path)}
        wait_for(lambda: (facts := database(path))["compacted"] >= facts["newest_revision"] - COMPACTION_KEEP,
                 timeout=120, interval=0.5, message="the restarted master's first compaction")
        compacted = {"rss_mib": rss_mib(master), **database(path)}
    finally:
        master.stop()
    return {"restarted": restarted, "compacted": compacted}


# ----- the report


def size(facts: dict[str, int]) -> str:
    return (f"{(facts['db_bytes'] + facts['wal_bytes']) / MIB:.1f} MiB "
            f"({facts['db_bytes'] / MIB:.1f} + {facts['wal_bytes'] / MIB:.1f})")


def per_revision(facts: dict[str, int]) -> str:
    rows = max(facts["revisions"], 1)
    return (f"{facts['log_bytes'] / rows:,.0f} B (JSON {facts['json_bytes'] / rows:,.0f} B), "
            f"file {(facts['db_bytes'] + facts['wal_bytes']) / rows:,.0f} B")


def report(on: dict[str, Any], compacted: dict[str, Any], off: dict[str, Any] | None, pods: int) -> str:
    before, after, stopped = on["before"], on["after"], on["stopped"]
    restarted, trimmed = compacted["restarted"], compacted["compacted"]
    lines = [
        "| | revisions retained (pods') | db + wal | log pages (table + indexes) | bytes per revision: "
        "log pages (object JSON), whole file | free pages | master RSS |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]

    def row(label: str, facts: dict[str, Any], rss: bool = True) -> None:
        memory = f"{facts['rss_mib']:.0f} MiB" if rss else ""
        lines.append(f"| {label} | {facts['revisions']:,} ({facts['pod_revisions']:,}) | {size(facts)} | "
                     f"{facts['log_bytes'] / MIB:.1f} MiB | {per_revision(facts)} | "
                     f"{facts['free_bytes'] / MIB:.1f} MiB | {memory} |")

    row(f"before the churn ({NODES} hollow nodes)", before)
    row(f"after {pods:,} pods lived and died", after)
    row("master stopped (WAL checkpointed)", stopped, rss=False)
    row("restarted with a short history, before compacting", restarted)
    row(f"after compaction (--history-age {HISTORY_AGE} --compaction-keep {COMPACTION_KEEP})", trimmed)
    if off is not None:
        row(f"--no-provenance: after {pods:,} pods", off["after"])
        row("--no-provenance: master stopped", off["stopped"], rss=False)
    churned = after["newest_revision"] - before["newest_revision"]
    lines += ["", f"Churn: {churned:,} revisions ({churned / pods:.1f} a pod) in {on['seconds']:.1f} s, "
                  f"{on['writes_per_second']:.0f} writes/s, {on['failed_writes']} failed writes"
                  + ("" if off is None else f"; with --no-provenance {off['writes_per_second']:.0f} writes/s, "
                                            f"{off['failed_writes']} failed") + "."]
    if off is not None:
        rows_on, rows_off = max(stopped["revisions"], 1), max(off["stopped"]["revisions"], 1)
        with_it, without = stopped["log_bytes"] / rows_on, off["stopped"]["log_bytes"] / rows_off
        lines.append(f"Provenance adds {with_it - without:,.0f} B per revision to the log's pages "
                     f"({with_it:,.0f} against {without:,.0f}); its columns hold "
                     f"{stopped['provenance_bytes'] / rows_on:,.0f} B a revision on average.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000, help="pods that live and die")
    parser.add_argument("--skip-off", action="store_true", help="leave out the churn with --no-provenance")
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args()
    load_before, started = os.getloadavg(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tinykube-history-") as tmp:
        root = Path(tmp)
        on = lifetime(root / "on" / "data", args.pods, master_args=())
        print("restarting with a short history", flush=True)
        compacted = compaction(root / "on" / "data", on["port"])
        off = None if args.skip_off else lifetime(root / "off" / "data", args.pods, master_args=("--no-provenance",))
    load_after, minutes = os.getloadavg(), (time.monotonic() - started) / 60
    print()
    print(f"`python -m bench.history_cost{f' --pods {args.pods}' if args.pods != 10_000 else ''}"
          f"{' --skip-off' if args.skip_off else ''}`\n")
    print(report(on, compacted, off, args.pods))
    print(f"\nLoad average (1 / 5 / 15 min): before {' / '.join(f'{v:.1f}' for v in load_before)}, "
          f"after {' / '.join(f'{v:.1f}' for v in load_after)}; {minutes:.1f} min.")
    if args.json is not None:
        args.json.write_text(json.dumps({"on": on, "compaction": compacted, "off": off}, indent=2))


if __name__ == "__main__":
    main()
