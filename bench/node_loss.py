"""Node loss: kill a kubelet and time until its Deployment pods are Running elsewhere, against the expected bound.

    python -m bench.node_loss            # every timer scaled by 0.1
    python -m bench.node_loss --small    # scaled by 0.05, a smoke test

A master with its scheduler and controllers and three kubelets, all at one time
scale, and a Deployment of 6 busybox `sleep 3600` pods. Once all 6 are Running,
the kubelet with the most of them is killed (SIGKILL: no goodbye, its
containers keep running, its Lease simply stops). What must follow:

    kill ──► grace (40 s, scaled): no Lease renewal ──► Ready=Unknown, unreachable:NoExecute taint
         ──► default toleration (300 s, scaled) ──► pods evicted
         ──► replaced by the ReplicaSet, scheduled and started on the other nodes

Reported: seconds from the kill to 6 Running pods of the Deployment, none on
the lost node and none terminating, against the bound grace + toleration
(scaled) as a ratio. The node monitor's period (5 s, scaled) and the new pods'
start-up come on top, so a ratio a little above 1 is what a correct cluster
shows; well above 1 means a step waited longer than it should; below 1, that
pods were evicted before their toleration ran out.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from bench.burst_vs_swarm import DEPLOYMENTS, PODS
from bench.results import Row, print_result, result, write_json
from bench.startup import bench_pod, is_running
from tests.support.cluster import live_cluster, wait_for

REPLICAS = 6
DEPLOYMENT = "resilient"
# Unscaled, as the node lifecycle controller's defaults (master/controllers/node_lifecycle.py).
NODE_MONITOR_GRACE_SECONDS = 40
DEFAULT_TOLERATION_SECONDS = 300


def deployment() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": DEPLOYMENT},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": DEPLOYMENT}},
                     "template": {"metadata": {"labels": {"app": DEPLOYMENT}},
                                  "spec": bench_pod("template")["spec"]}}}


def running_pods(client: httpx.Client, *, off: str | None = None) -> list[dict] | None:
    """The Deployment's pods when exactly REPLICAS are Running, none terminating and none on node `off`."""
    pods = client.get(PODS, params={"labelSelector": f"app={DEPLOYMENT}"}).json()["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp") and p["spec"].get("nodeName") != off]
    return live if len(pods) == len(live) == REPLICAS and all(map(is_running, live)) else None


def node_ready(client: httpx.Client, node: str) -> str:
    conditions = client.get(f"/api/v1/nodes/{node}").json()["status"].get("conditions", [])
    return {c["type"]: c["status"] for c in conditions}.get("Ready", "")


def run(*, time_scale: float, root: Path) -> dict:
    bound = (NODE_MONITOR_GRACE_SECONDS + DEFAULT_TOLERATION_SECONDS) * time_scale
    with live_cluster(root, nodes=3, time_scale=time_scale, master_args=["--controllers=*"]) as (master, kubelets), \
            master.client() as client:
        client.post(DEPLOYMENTS, json=deployment()).raise_for_status()
        placed = wait_for(lambda: running_pods(client), timeout=120, interval=0.2, message=f"{REPLICAS} pods Running")
        per_node = {k.node_name: sum(p["spec"]["nodeName"] == k.node_name for p in placed) for k in kubelets}
        victim = max(kubelets, key=lambda k: per_node[k.node_name])
        print(f"{REPLICAS} pods Running {per_node}; killing {victim.node_name} (bound {bound:.1f} s)", flush=True)

        killed = time.monotonic()
        victim.stop(kill=True)
        # Two milestones on the way, polled as the pods are: the node's Ready=Unknown, then the replacements.
        wait_for(lambda: node_ready(client, victim.node_name) == "Unknown", timeout=bound + 60, interval=0.2,
                 message=f"{victim.node_name} Ready=Unknown")
        unknown_after = time.monotonic() - killed
        wait_for(lambda: running_pods(client, off=victim.node_name), timeout=bound * 2 + 60, interval=0.2,
                 message=f"{REPLICAS} pods Running off {victim.node_name}")
        replaced_after = time.monotonic() - killed
    # live_cluster has removed every container, the killed kubelet's included (they carry the run's owner label).
    return report(time_scale=time_scale, bound=bound, lost=per_node[victim.node_name], unknown_after=unknown_after,
                  replaced_after=replaced_after)


def report(*, time_scale: float, bound: float, lost: int, unknown_after: float, replaced_after: float) -> dict:
    grace = NODE_MONITOR_GRACE_SECONDS * time_scale
    rows = [
        Row(f"kubelet killed -> {REPLICAS} pods Running elsewhere ({lost} replaced; time scale {time_scale})",
            f"{replaced_after:.1f} s", f"{bound:.1f} s (grace + toleration)", replaced_after / bound),
        Row("kubelet killed -> node Ready=Unknown", f"{unknown_after:.1f} s", f"{grace:.1f} s (grace)",
            unknown_after / grace),
    ]
    command = "python -m bench.node_loss" + (" --small" if time_scale != 0.1 else "")
    return result("node_loss", command, rows, {"time_scale": time_scale, "bound_seconds": bound, "lost_pods": lost,
                                               "unknown_after_seconds": unknown_after,
                                               "replaced_after_seconds": replaced_after})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="time scale 0.05 instead of 0.1 (a smoke test)")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-node-loss-") as tmp:
        outcome = run(time_scale=0.05 if args.small else 0.1, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
